import { randomFillSync } from "node:crypto";
import { NonceTable, word } from "./nonce-table.js";

/**
 * Claimed FAST_CONNECT nonces for the in-process store, in two generations.
 * A claim looks in both and adds to the newer; once the newer is as old as the
 * longest TTL asked for, the older is dropped whole and a fresh one starts.
 * So a nonce is remembered for at least its TTL and at most twice that.
 *
 * Each generation is a hash set in typed arrays (NonceTable), not a Set of
 * strings: at 10 000 resumes/s the ledger holds millions of nonces, and as
 * objects every one of them would be copied, promoted and then marked by
 * every full GC (2 million strings made a full GC take 74 ms instead of 3).
 */
export class NonceLedger {
  private readonly seed = randomFillSync(new Uint32Array(4));
  private newer = new NonceTable(this.seed);
  private older = new NonceTable(this.seed);
  private newerSince: number;
  private span = 0;

  constructor(now: number) {
    this.newerSince = now;
  }

  /** True the first time `nonce` is claimed within `ttlMs`; false for a repeat. */
  claim(nonce: Uint8Array, ttlMs: number, now: number): boolean {
    this.span = Math.max(this.span, ttlMs);
    const age = now - this.newerSince;
    if (age >= this.span) {
      // Everything in `newer` arrived within one span of newerSince; past two spans, all of it has lived out its TTL.
      this.older = age >= 2 * this.span ? new NonceTable(this.seed) : this.newer;
      // Sized for what the last generation held, so a burst's table is not kept after the burst.
      this.newer = new NonceTable(this.seed, this.older.size);
      this.newerSince = now;
    }
    const w0 = word(nonce, 0);
    const w1 = word(nonce, 4);
    const w2 = word(nonce, 8);
    const w3 = word(nonce, 12);
    if (this.older.has(w0, w1, w2, w3)) return false;
    return this.newer.add(w0, w1, w2, w3);
  }

  get size(): number {
    return this.newer.size + this.older.size;
  }
}
