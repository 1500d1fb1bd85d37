import test from "ava";
import { pooledRandomBytes } from "../../../core/crypto/random-pool.js";

test("pooled random values have the asked size, never repeat, and own their memory across refills", (t) => {
  const seen = new Set<string>();
  const values: Buffer[] = [];
  // 32-byte values across several 4 KiB refills, plus odd sizes that straddle a block's end.
  for (let i = 0; i < 1000; i++) {
    const value = pooledRandomBytes(i % 7 === 0 ? 13 : 32);
    t.is(value.length, i % 7 === 0 ? 13 : 32);
    seen.add(value.toString("hex"));
    values.push(value);
  }
  t.is(seen.size, 1000);
  const snapshot = values.map((v) => v.toString("hex"));
  for (let i = 0; i < 500; i++) pooledRandomBytes(32);
  t.deepEqual(
    values.map((v) => v.toString("hex")),
    snapshot,
  );
  t.is(pooledRandomBytes(10_000).length, 10_000);
});
