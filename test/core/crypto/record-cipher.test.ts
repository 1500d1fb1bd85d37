import { createDecipheriv, randomBytes } from "node:crypto";
import test from "ava";
import { AEAD, type DirectionKeys, TAG_LENGTH } from "../../../core/crypto/key-schedule.js";
import { RecordCipher } from "../../../core/crypto/record-cipher.js";
import { RecordError } from "../../../core/errors/frame-errors.js";
import { encodeFrame } from "../../../core/protocol/frame-encoder.js";
import { FrameFlag, HEADER_LENGTH, type Packet } from "../../../core/protocol/packet.js";

function keys(): DirectionKeys {
  return { key: randomBytes(16), iv: randomBytes(12) };
}

/** Reads a whole frame without the decoder's checks, so tests can tamper with any header byte. */
function parse(frame: Buffer): Packet {
  return {
    cmd: frame[4] as number,
    flags: frame[7] as number,
    seq: frame.readUInt32BE(8),
    body: frame.subarray(HEADER_LENGTH, HEADER_LENGTH + frame.readUInt32BE(0)),
  };
}

function pair(): { sender: RecordCipher; receiver: RecordCipher; keys: DirectionKeys } {
  const k = keys();
  return { sender: new RecordCipher(k), receiver: new RecordCipher(k), keys: k };
}

test("seal/open round trip between two ciphers with the same keys", (t) => {
  const { sender, receiver } = pair();
  for (const text of ["first", "", "third record", "x".repeat(5000)]) {
    const frame = sender.seal(100, FrameFlag.BIZ_ACK, 42, Buffer.from(text));
    t.true(receiver.open(parse(frame)).equals(Buffer.from(text)));
  }
});

test("a sealed frame's header: ENCRYPTED set, length counts the tag, cc and lrc zero", (t) => {
  const { sender } = pair();
  const frame = sender.seal(100, FrameFlag.AUTO_ACK, 7, Buffer.from("abc"));
  t.is(frame.length, HEADER_LENGTH + 3 + TAG_LENGTH);
  t.is(frame.readUInt32BE(0), 3 + TAG_LENGTH);
  t.is(frame[4], 100);
  t.is(frame.readUInt16BE(5), 0);
  t.is(frame[7], FrameFlag.AUTO_ACK | FrameFlag.ENCRYPTED);
  t.is(frame.readUInt32BE(8), 7);
  t.is(frame[12], 0);
  t.false(frame.subarray(HEADER_LENGTH).includes(Buffer.from("abc")), "the body is not sent in clear");
});

test("the nonce is iv XOR the record counter, and the header is the AAD", (t) => {
  const { sender, keys: k } = pair();
  const frames = [0, 1, 2].map((i) => sender.seal(100, 0, i, Buffer.from(`record ${i}`)));
  frames.forEach((frame, n) => {
    const nonce = Buffer.from(k.iv);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ n) >>> 0, 8);
    const body = frame.subarray(HEADER_LENGTH);
    const decipher = createDecipheriv(AEAD, k.key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(frame.subarray(0, HEADER_LENGTH));
    decipher.setAuthTag(body.subarray(body.length - TAG_LENGTH));
    const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_LENGTH)), decipher.final()]);
    t.is(plain.toString(), `record ${n}`);
  });
});

test("nonces differ per record: the same plaintext never seals the same way twice", (t) => {
  const { sender } = pair();
  const a = sender.seal(100, 0, 1, Buffer.from("same"));
  const b = sender.seal(100, 0, 1, Buffer.from("same"));
  t.true(a.subarray(0, HEADER_LENGTH).equals(b.subarray(0, HEADER_LENGTH)));
  t.false(a.subarray(HEADER_LENGTH).equals(b.subarray(HEADER_LENGTH)));
});

for (const [name, offset, mask] of [
  ["cmd", 4, 0x01],
  ["flags, BIZ_ACK added", 7, FrameFlag.BIZ_ACK],
  ["flags, COMPRESSED added", 7, FrameFlag.COMPRESSED],
  ["seq high byte", 8, 0x80],
  ["seq low byte", 11, 0x01],
] as const) {
  test(`a modified header byte (${name}) fails to open`, (t) => {
    const { sender, receiver } = pair();
    const frame = Buffer.from(sender.seal(100, 0, 5, Buffer.from("payload")));
    frame[offset] = (frame[offset] as number) ^ mask;
    t.throws(() => receiver.open(parse(frame)), { instanceOf: RecordError });
  });
}

test("a modified body byte fails to open, in the ciphertext and in the tag", (t) => {
  for (const at of [HEADER_LENGTH, HEADER_LENGTH + 3, HEADER_LENGTH + 7 + TAG_LENGTH - 1]) {
    const { sender, receiver } = pair();
    const frame = Buffer.from(sender.seal(100, 0, 5, Buffer.from("payload")));
    frame[at] = (frame[at] as number) ^ 0x01;
    t.throws(() => receiver.open(parse(frame)), { instanceOf: RecordError }, `byte ${at}`);
  }
});

test("a truncated body fails to open", (t) => {
  const { sender, receiver } = pair();
  const packet = parse(sender.seal(100, 0, 5, Buffer.from("payload")));
  t.throws(() => receiver.open({ ...packet, body: packet.body.subarray(1) }), { instanceOf: RecordError });
});

test("a frame shorter than the tag is a RecordError", (t) => {
  const { receiver } = pair();
  const packet: Packet = { cmd: 100, flags: FrameFlag.ENCRYPTED, seq: 1, body: Buffer.alloc(TAG_LENGTH - 1) };
  t.throws(() => receiver.open(packet), { instanceOf: RecordError, message: /shorter than its tag/ });
});

test("a replayed frame fails to open", (t) => {
  const { sender, receiver } = pair();
  const frame = sender.seal(100, 0, 1, Buffer.from("once"));
  t.is(receiver.open(parse(frame)).toString(), "once");
  t.throws(() => receiver.open(parse(frame)), { instanceOf: RecordError });
});

test("a reordered pair fails to open", (t) => {
  const { sender, receiver } = pair();
  const first = sender.seal(100, 0, 1, Buffer.from("first"));
  const second = sender.seal(100, 0, 2, Buffer.from("second"));
  t.throws(() => receiver.open(parse(second)), { instanceOf: RecordError });
  t.throws(() => receiver.open(parse(first)), { instanceOf: RecordError });
});

test("a dropped frame makes the next one fail to open", (t) => {
  const { sender, receiver } = pair();
  sender.seal(100, 0, 1, Buffer.from("lost"));
  t.throws(() => receiver.open(parse(sender.seal(100, 0, 2, Buffer.from("next")))), { instanceOf: RecordError });
});

test("a plaintext frame is a RecordError", (t) => {
  const { receiver } = pair();
  const frame = encodeFrame(100, 0, 1, Buffer.alloc(40));
  t.throws(() => receiver.open(parse(frame)), { instanceOf: RecordError, message: /plaintext/ });
});

test("a frame sealed under other keys fails to open", (t) => {
  const frame = new RecordCipher(keys()).seal(100, 0, 1, Buffer.from("x"));
  t.throws(() => new RecordCipher(keys()).open(parse(frame)), { instanceOf: RecordError });
});

test("the last record a key may seal is number 2^32 - 1; the next is a RecordError, in both directions", (t) => {
  const { sender, receiver, keys: k } = pair();
  // Jump both counters to the last allowed record rather than sealing four billion frames.
  for (const cipher of [sender, receiver]) (cipher as unknown as { count: number }).count = 2 ** 32 - 1;
  const last = sender.seal(100, 0, 1, Buffer.from("last"));
  t.true(receiver.open(parse(last)).equals(Buffer.from("last")));
  // Its nonce is iv XOR (0^4 || u64be(2^32 - 1)), checked independently of RecordCipher.
  const nonce = Buffer.from(k.iv);
  for (let i = 8; i < 12; i++) nonce[i] = (nonce[i] as number) ^ 0xff;
  const body = parse(last).body;
  const decipher = createDecipheriv(AEAD, k.key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(last.subarray(0, HEADER_LENGTH));
  decipher.setAuthTag(body.subarray(body.length - TAG_LENGTH));
  t.is(
    Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_LENGTH)), decipher.final()]).toString(),
    "last",
  );
  t.throws(() => sender.seal(100, 0, 2, Buffer.from("one too many")), {
    instanceOf: RecordError,
    message: /record limit/,
  });
  t.throws(() => receiver.open(parse(last)), { instanceOf: RecordError, message: /record limit/ });
});
