/**
 * Claimed FAST_CONNECT nonces for the in-process store, in two generations.
 * A claim looks in both and adds to the newer; once the newer is as old as the
 * longest TTL asked for, the older is dropped whole and a fresh one starts.
 * So a nonce is remembered for at least its TTL and at most twice that.
 *
 * Against one Keyv entry per nonce: no envelope object and no expiry per entry
 * (about a third of the memory, as 32-character one-byte strings), and
 * forgetting costs one dropped Set instead of a sweep over every entry.
 */
export class NonceLedger {
  private newer = new Set<string>();
  private older = new Set<string>();
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
      this.older = age >= 2 * this.span ? new Set() : this.newer;
      this.newer = new Set();
      this.newerSince = now;
    }
    const key = Buffer.from(nonce.buffer, nonce.byteOffset, nonce.byteLength).toString("latin1");
    if (this.newer.has(key) || this.older.has(key)) return false;
    this.newer.add(key);
    return true;
  }

  get size(): number {
    return this.newer.size + this.older.size;
  }
}
