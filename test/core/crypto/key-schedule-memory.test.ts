import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import test from "ava";
import { deriveSecret, hkdfExtract, ZEROS } from "../../../core/crypto/hkdf.js";
import {
  directionKeys,
  type EstablishedSecrets,
  handshakeSecrets,
  ResumeSchedule,
} from "../../../core/crypto/key-schedule.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * A 32-byte slice at the start of a fresh 8 KiB pool, the rest of which goes
 * to throwaway allocations: only what is made from the slice can keep the pool.
 */
function sliceOfFreshPool(): Buffer {
  let slice = Buffer.allocUnsafe(32);
  while (slice.byteOffset !== 0) slice = Buffer.allocUnsafe(32);
  for (let i = 0; i < 4; i++) Buffer.allocUnsafe(2048);
  return slice.fill(0xab);
}

/** In a function of its own, so that nothing but the secrets refers to the slice afterwards. */
function establishFromSlice(make: (th: Buffer) => EstablishedSecrets) {
  const th = sliceOfFreshPool();
  return { secrets: make(th), pool: new WeakRef(th.buffer), poolBytes: th.buffer.byteLength };
}

const cases = [
  {
    name: "a handshake's",
    input: Buffer.alloc(32, 1),
    make: (input: Buffer, th: Buffer) => handshakeSecrets(input, th),
  },
  {
    name: "a resume's",
    input: Buffer.alloc(32, 2),
    make: (input: Buffer, th: Buffer) => new ResumeSchedule(input).established(th),
  },
];

for (const { name, input, make } of cases) {
  test(`${name} established secrets keep no slice of Node's shared Buffer pool`, async (t) => {
    const { secrets, pool, poolBytes } = establishFromSlice((th) => make(input, th));
    t.true(poolBytes > 32, "allocUnsafe gave a slice of a pool");
    // A WeakRef holds its target until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    t.is(pool.deref(), undefined, "the pool the transcript hash came from is still alive");
    // What is kept still derives what the original bytes derive (both secrets are HKDF-Extract(0, input)).
    const expected = directionKeys(deriveSecret(hkdfExtract(ZEROS, input), "c ap traffic", Buffer.alloc(32, 0xab)));
    t.deepEqual(secrets.traffic.clientToServer.key, expected.key);
    t.deepEqual(secrets.traffic.clientToServer.iv, expected.iv);
  });
}
