import { randomBytes } from "node:crypto";
import test from "ava";
import fc from "fast-check";
import { NonceLedger } from "../../../core/session/nonce-ledger.js";

const TTL = 1000;

test("a nonce is claimed once; another nonce, or the same bytes at another offset, are their own", (t) => {
  const ledger = new NonceLedger(0);
  const nonce = randomBytes(32);
  t.true(ledger.claim(nonce, TTL, 0));
  t.false(ledger.claim(nonce, TTL, 1));
  t.false(ledger.claim(Buffer.concat([Buffer.alloc(5), nonce]).subarray(5), TTL, 2), "a view of the same bytes");
  t.true(ledger.claim(randomBytes(32), TTL, 3));
  t.is(ledger.size, 2);
});

test("a nonce is remembered for at least its TTL wherever in a generation it was claimed, and forgotten by twice that", (t) => {
  for (const claimedAt of [0, 1, TTL / 2, TTL - 1]) {
    const ledger = new NonceLedger(0);
    const nonce = randomBytes(32);
    t.true(ledger.claim(nonce, TTL, claimedAt));
    // Other claims along the way make the generations turn over.
    for (let now = claimedAt; now < claimedAt + TTL; now += 97) {
      ledger.claim(randomBytes(32), TTL, now);
      t.false(ledger.claim(nonce, TTL, now), `claimed at ${claimedAt}, repeated at ${now}`);
    }
    t.false(ledger.claim(nonce, TTL, claimedAt + TTL - 1));
    t.true(ledger.claim(nonce, TTL, claimedAt + 2 * TTL), `claimed at ${claimedAt}: free again after 2 TTL`);
  }
});

test("after a quiet spell both generations go at once, and memory stays bounded by the claim rate", (t) => {
  const ledger = new NonceLedger(0);
  const early = randomBytes(32);
  ledger.claim(early, TTL, 10);
  t.true(ledger.claim(randomBytes(32), TTL, 5 * TTL));
  t.is(ledger.size, 1, "nothing from before the quiet spell is kept");
  t.true(ledger.claim(early, TTL, 5 * TTL + 1));
  // 10 claims per ms for 10 TTLs: never more than two generations' worth.
  let most = 0;
  for (let now = 6 * TTL; now < 16 * TTL; now++) {
    for (let i = 0; i < 10; i++) ledger.claim(randomBytes(32), TTL, now);
    most = Math.max(most, ledger.size);
  }
  t.true(most <= 2 * TTL * 10 + 10, `most held: ${most}`);
  t.true(most >= TTL * 10, `at least one TTL's worth is held: ${most}`);
});

test("the longest TTL asked for sets the generation span", (t) => {
  const ledger = new NonceLedger(0);
  const nonce = randomBytes(32);
  t.true(ledger.claim(nonce, 10 * TTL, 0));
  ledger.claim(randomBytes(32), TTL, TTL);
  ledger.claim(randomBytes(32), TTL, 5 * TTL);
  t.false(ledger.claim(nonce, TTL, 9 * TTL), "short TTLs later do not shorten the first one");
});

test("through many growths of its table every nonce stays found, and answers agree with a plain Set", (t) => {
  const ledger = new NonceLedger(0);
  const nonces = Array.from({ length: 50_000 }, () => randomBytes(32));
  for (const nonce of nonces) if (!ledger.claim(nonce, TTL, 1)) t.fail("a fresh nonce was refused");
  t.is(ledger.size, 50_000);
  t.true(
    nonces.every((nonce) => !ledger.claim(nonce, TTL, 2)),
    "every repeat refused",
  );
  // Draws from a small pool, so repeats are common, checked against a Set of the hex strings.
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 2000 }), (picks) => {
      const fresh = new NonceLedger(0);
      const pool = Array.from({ length: 301 }, () => randomBytes(32));
      const seen = new Set<string>();
      return picks.every((pick) => {
        const nonce = pool[pick] as Buffer;
        const expected = !seen.has(nonce.toString("hex"));
        seen.add(nonce.toString("hex"));
        return fresh.claim(nonce, TTL, 1) === expected;
      });
    }),
    { numRuns: 200 },
  );
});

test("nonces are told apart by their first 128 bits", (t) => {
  const ledger = new NonceLedger(0);
  const nonce = randomBytes(32);
  t.true(ledger.claim(nonce, TTL, 0));
  const sameStart = Buffer.concat([nonce.subarray(0, 16), randomBytes(16)]);
  t.false(ledger.claim(sameStart, TTL, 1), "a replay is the same bytes; random nonces differ early");
  const otherStart = Buffer.from(nonce);
  otherStart[15] = (otherStart[15] as number) ^ 1;
  t.true(ledger.claim(otherStart, TTL, 2));
});

test("nonces that differ only in their fourth 32-bit word (bytes 12-15) are each claimed", (t) => {
  const ledger = new NonceLedger(0);
  const base = randomBytes(32);
  // Enough of them that many share a chain of slots, where a match on three words alone would refuse one.
  const refused: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const nonce = Buffer.from(base);
    nonce.writeUInt32LE(i, 12);
    if (!ledger.claim(nonce, TTL, 1)) refused.push(i);
  }
  t.deepEqual(refused, []);
  t.is(ledger.size, 2000);
  const again = Buffer.from(base);
  again.writeUInt32LE(1999, 12);
  t.false(ledger.claim(again, TTL, 2), "the same bytes again are still a repeat");
});
