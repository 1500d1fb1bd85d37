const WORDS = 4;
const MIN_SLOTS = 1024;

/**
 * A set of nonces keyed by their first 128 bits, with open addressing and
 * linear probing over one Uint32Array: no object per entry, so nothing for
 * the GC to trace, and about 33 B per nonce at the load it keeps (at most
 * half full). Two different random nonces share 128 bits with probability
 * 2^-128; a replay is the same bytes. The slot index comes from a hash keyed
 * by a random per-process seed, so a client choosing its nonces cannot aim
 * them at one chain of slots.
 */
export class NonceTable {
  private slots: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  private count = 0;

  constructor(
    private readonly seed: Uint32Array,
    expected = 0,
  ) {
    let capacity = MIN_SLOTS;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Uint32Array(capacity * WORDS);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  has(w0: number, w1: number, w2: number, w3: number): boolean {
    return this.find(w0, w1, w2, w3) < 0;
  }

  /** False when the nonce is already in the table. */
  add(w0: number, w1: number, w2: number, w3: number): boolean {
    const free = this.find(w0, w1, w2, w3);
    if (free < 0) return false;
    this.put(free, w0, w1, w2, w3);
    if (++this.count * 2 > this.used.length) this.grow();
    return true;
  }

  /** -1 when present, else the free slot where it would go. */
  private find(w0: number, w1: number, w2: number, w3: number): number {
    const { slots, used, mask } = this;
    let slot = this.hash(w0, w1, w2, w3) & mask;
    while (used[slot] === 1) {
      const at = slot * WORDS;
      if (slots[at] === w0 && slots[at + 1] === w1 && slots[at + 2] === w2 && slots[at + 3] === w3) return -1;
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private put(slot: number, w0: number, w1: number, w2: number, w3: number): void {
    const at = slot * WORDS;
    this.slots[at] = w0;
    this.slots[at + 1] = w1;
    this.slots[at + 2] = w2;
    this.slots[at + 3] = w3;
    this.used[slot] = 1;
  }

  private grow(): void {
    const { slots, used } = this;
    this.slots = new Uint32Array(slots.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.mask = this.used.length - 1;
    for (let slot = 0; slot < used.length; slot++) {
      if (used[slot] !== 1) continue;
      const at = slot * WORDS;
      const w0 = slots[at] as number;
      const w1 = slots[at + 1] as number;
      const w2 = slots[at + 2] as number;
      const w3 = slots[at + 3] as number;
      this.put(this.find(w0, w1, w2, w3), w0, w1, w2, w3);
    }
  }

  /** Each word mixed with its own seed word (murmur3's constants and finalizer). */
  private hash(w0: number, w1: number, w2: number, w3: number): number {
    const seed = this.seed;
    let h = mix(0, w0 ^ (seed[0] as number));
    h = mix(h, w1 ^ (seed[1] as number));
    h = mix(h, w2 ^ (seed[2] as number));
    h = mix(h, w3 ^ (seed[3] as number));
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }
}

function mix(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  const y = h ^ x;
  return Math.imul((y << 13) | (y >>> 19), 5) + 0xe6546b64;
}

/** Little-endian 32-bit word at `offset`; bytes past the end count as 0. */
export function word(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8) | ((bytes[offset + 2] ?? 0) << 16)) +
    (bytes[offset + 3] ?? 0) * 0x1000000
  );
}
