import test from "ava";
import { FrameError, FrameTooLargeError, ReservedFlagsError } from "../../../core/errors/frame-errors.js";
import { FrameDecoder } from "../../../core/protocol/frame-decoder.js";
import { encodeFrame } from "../../../core/protocol/frame-encoder.js";
import { HEADER_LENGTH, HEARTBEAT_BYTE, type Packet } from "../../../core/protocol/packet.js";
import { inFreshPool, released } from "../../helpers/retention.js";

const LIMIT = 1024;

interface Plain {
  cmd: number;
  flags: number;
  seq: number;
  body: number[];
}

function plain(p: Packet): Plain {
  return { cmd: p.cmd, flags: p.flags, seq: p.seq, body: [...p.body] };
}

const HEARTBEAT: Plain = { cmd: 1, flags: 0, seq: 0, body: [] };

/** Pushes each chunk in turn and returns the packets, copied as they arrive. */
function decode(chunks: readonly Uint8Array[], limit = LIMIT): { packets: Plain[]; decoder: FrameDecoder } {
  const decoder = new FrameDecoder(limit);
  const packets: Plain[] = [];
  for (const chunk of chunks) decoder.push(Buffer.from(chunk), (p) => packets.push(plain(p)));
  return { packets, decoder };
}

function withLength(length: number, cmd: number, flags: number, seq: number): Buffer {
  const h = encodeFrame(cmd, flags, seq, Buffer.alloc(0));
  h.writeUInt32BE(length, 0);
  return h;
}

const frameA = encodeFrame(100, 0x04, 7, Buffer.from("hello"));
const frameB = encodeFrame(15, 0x08, 0xffffffff, Buffer.from([0xdf, 0x00, 0xdf]));

test("a complete frame decodes to its fields", (t) => {
  const { packets, decoder } = decode([frameA]);
  t.deepEqual(packets, [{ cmd: 100, flags: 0x04, seq: 7, body: [...Buffer.from("hello")] }]);
  t.is(decoder.buffered, 0);
});

test("a truncated header is held: nothing emitted, buffered counts the bytes", (t) => {
  for (let n = 1; n < HEADER_LENGTH; n++) {
    const { packets, decoder } = decode([frameA.subarray(0, n)]);
    t.deepEqual(packets, [], `after ${n} header bytes`);
    t.is(decoder.buffered, n, `after ${n} header bytes`);
  }
});

test("a header whose body has not started counts as held: a capture cut there is not complete", (t) => {
  const { packets, decoder } = decode([frameA.subarray(0, HEADER_LENGTH)]);
  t.deepEqual(packets, []);
  t.is(decoder.buffered, HEADER_LENGTH);
});

test("a truncated body is held and completes with the rest", (t) => {
  const decoder = new FrameDecoder(LIMIT);
  const packets: Plain[] = [];
  decoder.push(frameA.subarray(0, HEADER_LENGTH + 2), (p) => packets.push(plain(p)));
  t.deepEqual(packets, []);
  t.is(decoder.buffered, HEADER_LENGTH + 2);
  decoder.push(frameA.subarray(HEADER_LENGTH + 2), (p) => packets.push(plain(p)));
  t.is(packets.length, 1);
  t.is(decoder.buffered, 0);
});

test("a length over the limit throws FrameTooLargeError once the 4 length bytes are in", (t) => {
  const h = withLength(LIMIT + 1, 100, 0, 1);
  const decoder = new FrameDecoder(LIMIT);
  const sink = () => t.fail("nothing may be emitted");
  decoder.push(h.subarray(0, 3), sink);
  t.is(decoder.buffered, 3);
  const error = t.throws(() => decoder.push(h.subarray(3, 4), sink), { instanceOf: FrameTooLargeError });
  t.is(error?.length, LIMIT + 1);
  t.is(error?.limit, LIMIT);
});

test("a length over the limit in 4 bytes pushed at once throws at once", (t) => {
  const decoder = new FrameDecoder(LIMIT);
  t.throws(() => decoder.push(Buffer.from([0x40, 0, 0, 0]), () => t.fail()), { instanceOf: FrameTooLargeError });
});

test("a 1 GiB length in a whole header throws before any body byte", (t) => {
  t.throws(() => decode([withLength(2 ** 30, 100, 0, 1)]), { instanceOf: FrameTooLargeError });
});

test("the largest length, 0xFFFFFFFF, is rejected", (t) => {
  t.throws(() => decode([withLength(0xffffffff, 100, 0, 1).subarray(0, 4)]), { instanceOf: FrameTooLargeError });
});

test("a body of exactly the limit decodes, in one chunk and dripped", (t) => {
  const frame = encodeFrame(100, 0, 3, Buffer.alloc(LIMIT, 7));
  t.is(decode([frame]).packets[0]?.body.length, LIMIT);
  const { packets } = decode([frame.subarray(0, 5), frame.subarray(5, 600), frame.subarray(600)]);
  t.deepEqual(packets[0]?.body, [...Buffer.alloc(LIMIT, 7)]);
});

test("length 0 is a valid frame with an empty body", (t) => {
  const frame = encodeFrame(100, 0, 9, Buffer.alloc(0));
  t.deepEqual(decode([frame]).packets, [{ cmd: 100, flags: 0, seq: 9, body: [] }]);
  t.deepEqual(decode([...frame].map((b) => Uint8Array.of(b))).packets, [{ cmd: 100, flags: 0, seq: 9, body: [] }]);
});

for (const bit of [0x10, 0x20, 0x40, 0x80]) {
  const name = `0x${bit.toString(16)}`;
  test(`reserved flag ${name} throws ReservedFlagsError, whole header or byte by byte`, (t) => {
    const h = withLength(0, 100, bit | 0x01, 1);
    const whole = t.throws(() => decode([h]), { instanceOf: ReservedFlagsError });
    t.is(whole?.flags, bit | 0x01);
    const decoder = new FrameDecoder(LIMIT);
    for (let i = 0; i < HEADER_LENGTH - 1; i++) decoder.push(h.subarray(i, i + 1), () => t.fail());
    t.throws(() => decoder.push(h.subarray(HEADER_LENGTH - 1), () => t.fail()), { instanceOf: ReservedFlagsError });
  });
}

test("every defined flag combination (0x00-0x0F) is accepted", (t) => {
  for (let flags = 0; flags <= 0x0f; flags++) {
    t.is(decode([encodeFrame(100, flags, 1, Buffer.alloc(0))]).packets[0]?.flags, flags);
  }
});

test("frame errors are FrameError subclasses", (t) => {
  t.true(new FrameTooLargeError(2, 1) instanceof FrameError);
  t.true(new ReservedFlagsError(0x10) instanceof FrameError);
});

test("heartbeat bytes before, between and after frames each decode to a heartbeat", (t) => {
  const stream = Buffer.concat([
    Buffer.from([HEARTBEAT_BYTE, HEARTBEAT_BYTE]),
    frameA,
    Buffer.from([HEARTBEAT_BYTE]),
    frameB,
    Buffer.from([HEARTBEAT_BYTE, HEARTBEAT_BYTE, HEARTBEAT_BYTE]),
  ]);
  const { packets, decoder } = decode([stream]);
  t.deepEqual(
    packets.map((p) => p.cmd),
    [1, 1, 100, 1, 15, 1, 1, 1],
  );
  t.deepEqual(packets[0], HEARTBEAT);
  t.is(decoder.buffered, 0);
});

test("0xDF inside a header or a body is data, not a heartbeat", (t) => {
  const frame = encodeFrame(0xdf, 0, 0xdfdfdfdf, Buffer.from([0xdf, 0xdf]));
  const { packets } = decode([...frame].map((b) => Uint8Array.of(b)));
  t.deepEqual(packets, [{ cmd: 0xdf, flags: 0, seq: 0xdfdfdfdf, body: [0xdf, 0xdf] }]);
});

test("a frame split into two chunks at every offset decodes the same", (t) => {
  const stream = Buffer.concat([frameA, Buffer.from([HEARTBEAT_BYTE]), frameB]);
  const expected = decode([stream]).packets;
  t.is(expected.length, 3);
  for (let i = 0; i <= stream.length; i++) {
    t.deepEqual(decode([stream.subarray(0, i), stream.subarray(i)]).packets, expected, `split at ${i}`);
  }
});

test("a frame split into three chunks at every pair of offsets decodes the same", (t) => {
  const expected = decode([frameA]).packets;
  for (let i = 0; i <= frameA.length; i++) {
    for (let j = i; j <= frameA.length; j++) {
      const chunks = [frameA.subarray(0, i), frameA.subarray(i, j), frameA.subarray(j)];
      t.deepEqual(decode(chunks).packets, expected, `split at ${i}, ${j}`);
    }
  }
});

test("several frames coalesced in one chunk all decode, in order", (t) => {
  const frames = Array.from({ length: 20 }, (_, i) => encodeFrame(100 + i, 0, i, Buffer.alloc(i, i)));
  const { packets, decoder } = decode([Buffer.concat(frames)]);
  t.deepEqual(
    packets.map((p) => [p.cmd, p.seq, p.body.length]),
    frames.map((_, i) => [100 + i, i, i]),
  );
  t.is(decoder.buffered, 0);
});

test("a large body dripped in 1-byte chunks decodes into one allocation", (t) => {
  const limit = 64 * 1024;
  const body = Buffer.alloc(limit);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
  const frame = encodeFrame(100, 0, 5, body);
  const decoder = new FrameDecoder(limit);
  const packets: Packet[] = [];
  const sizes: number[] = [];
  const allocUnsafe = Buffer.allocUnsafe;
  Buffer.allocUnsafe = (size: number) => {
    sizes.push(size);
    return allocUnsafe(size);
  };
  try {
    for (let i = 0; i < frame.length; i++) {
      decoder.push(frame.subarray(i, i + 1), (p) => packets.push(p));
      // Every byte of the frame so far, header included, until it is complete.
      const held = i + 1 === frame.length ? 0 : i + 1;
      if (decoder.buffered !== held) t.fail(`buffered ${decoder.buffered} after ${i + 1} bytes`);
    }
  } finally {
    Buffer.allocUnsafe = allocUnsafe;
  }
  t.is(packets.length, 1);
  t.true(packets[0]?.body.equals(body));
  t.is(decoder.buffered, 0);
  // One allocation for the header and one of exactly the body's length: no growth, no concatenation.
  t.true(sizes.length > 0, "the allocation spy saw the decoder allocate");
  t.true(sizes.reduce((a, b) => a + b, 0) <= HEADER_LENGTH + limit, `allocated ${sizes.join(", ")}`);
});

test("cc and lrc are ignored, whatever their value", (t) => {
  const frame = Buffer.from(frameA);
  frame.writeUInt16BE(0xbeef, 5);
  frame[12] = 0x5a;
  t.deepEqual(decode([frame]).packets, decode([frameA]).packets);
});

test("a zero-length body right after a heartbeat-looking seq is not confused", (t) => {
  const frame = encodeFrame(2, 0, 0xdf, Buffer.alloc(0));
  t.deepEqual(decode([frame, Uint8Array.of(HEARTBEAT_BYTE)]).packets, [
    { cmd: 2, flags: 0, seq: 0xdf, body: [] },
    HEARTBEAT,
  ]);
});

test("a decoder that saw a header split across reads keeps no slice of Node's shared Buffer pool", async (t) => {
  const frame = encodeFrame(100, 0, 7, Buffer.from("split"));
  const { kept: decoder, pool } = inFreshPool(() => {
    const decoder = new FrameDecoder(LIMIT);
    decoder.push(frame.subarray(0, 5), () => t.fail("no packet from half a header"));
    return decoder;
  });
  t.true(await released(pool), "the pool is still alive");
  const packets: Packet[] = [];
  decoder.push(frame.subarray(5), (p) => packets.push(p));
  t.deepEqual(packets.map(plain), [{ cmd: 100, flags: 0, seq: 7, body: [...Buffer.from("split")] }]);
});
