import test from "ava";
import { deriveSecret, hkdfExtract, ZEROS } from "../../../core/crypto/hkdf.js";
import { directionKeys, handshakeSecrets, ResumeSchedule } from "../../../core/crypto/key-schedule.js";
import { RecordCipher } from "../../../core/crypto/record-cipher.js";
import { HEADER_LENGTH } from "../../../core/protocol/packet.js";
import { inFreshPool, released } from "../../helpers/retention.js";

const TH = Buffer.alloc(32, 0xab);
const INPUT = Buffer.alloc(32, 1);
const establishments = {
  handshake: (th: Buffer) => handshakeSecrets(INPUT, th),
  resume: (th: Buffer) => new ResumeSchedule(INPUT).established(th),
};

for (const [name, establish] of Object.entries(establishments)) {
  test(`a ${name}'s traffic secrets do not keep the pool their transcript hash came from`, async (t) => {
    // The connection keeps the traffic part; the session secret goes to the store.
    const { kept: traffic, pool } = inFreshPool(() => establish(Buffer.from(TH)).traffic);
    t.true(await released(pool), "the pool is still alive");
    // What is kept still derives what the transcript hash derives (both secrets are HKDF-Extract(0, input)).
    const expected = directionKeys(deriveSecret(hkdfExtract(ZEROS, INPUT), "c ap traffic", TH));
    t.deepEqual(traffic.clientToServer.key, expected.key);
    t.deepEqual(traffic.clientToServer.iv, expected.iv);
  });
}

/** As a connection holds them: the ciphers, not the secrets they were made from. */
function ciphers(): { sender: RecordCipher; receiver: RecordCipher } {
  const { traffic } = handshakeSecrets(INPUT, TH);
  return { sender: new RecordCipher(traffic.serverToClient), receiver: new RecordCipher(traffic.serverToClient) };
}

test("record ciphers that sealed and opened frames keep no slice of the pool their keys were derived in", async (t) => {
  const { sender, receiver } = ciphers();
  // The keys are derived on the first frame, so within the fresh pool.
  const { kept: opened, pool } = inFreshPool(() => {
    const frame = sender.seal(100, 0, 1, Buffer.from("push"));
    return receiver
      .open({ cmd: 100, flags: frame[7] as number, seq: 1, body: frame.subarray(HEADER_LENGTH) })
      .toString();
  });
  t.is(opened, "push");
  t.true(await released(pool), "the pool is still alive");
  // Both still work on: the next frame in sequence opens.
  const next = sender.seal(100, 0, 2, Buffer.from("again"));
  const reopened = receiver.open({ cmd: 100, flags: next[7] as number, seq: 2, body: next.subarray(HEADER_LENGTH) });
  t.is(reopened.toString(), "again");
});

test("a record cipher lets go of its keys, and so of the secret they derive from, after its first frame", async (t) => {
  const { sender, keys } = (() => {
    const { traffic } = handshakeSecrets(INPUT, TH);
    return { sender: new RecordCipher(traffic.serverToClient), keys: new WeakRef(traffic.serverToClient) };
  })();
  t.false(await released(keys), "held until the first frame");
  sender.seal(100, 0, 1, Buffer.from("first"));
  t.true(await released(keys));
  t.is(sender.seal(100, 0, 2, Buffer.from("second")).length, HEADER_LENGTH + 6 + 16);
});
