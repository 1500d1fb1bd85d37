import { type Cipher, createCipheriv } from "node:crypto";

const BLOCK = 16;
/** Counter blocks prepared per call without allocating; longer inputs allocate. */
const SCRATCH_BLOCKS = 32;

/**
 * AES-256-CTR (NIST SP 800-38A) with a 128-bit big-endian counter, as
 * OpenSSL's aes-256-ctr counts, computed through one long-lived ECB context:
 * the keystream is the encryption of the counter blocks. No cipher object is
 * created per call, which is what AES in Node costs most when each message
 * is a few hundred bytes. The JS copy of the key is the caller's to zero.
 */
export class AesCtr {
  private readonly ecb: Cipher;
  private readonly counters = Buffer.alloc(SCRATCH_BLOCKS * BLOCK);

  constructor(key: Uint8Array) {
    this.ecb = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false);
  }

  /** Encrypts or decrypts (the same operation) `data` from the 16-byte initial counter `iv` into `out` at `offset`. */
  apply(iv: Uint8Array, data: Uint8Array, out: Uint8Array, offset: number): void {
    if (iv.length !== BLOCK) throw new RangeError(`a CTR initial counter is ${BLOCK} bytes, not ${iv.length}`);
    const blocks = Math.ceil(data.length / BLOCK);
    if (blocks === 0) return;
    const counters = blocks <= SCRATCH_BLOCKS ? this.counters : Buffer.alloc(blocks * BLOCK);
    counters.set(iv, 0);
    for (let b = 1; b < blocks; b++) {
      const at = b * BLOCK;
      counters.copyWithin(at, at - BLOCK, at);
      increment(counters, at);
    }
    // Whole blocks only, so the shared context never holds a partial one between calls.
    const keystream = this.ecb.update(counters.subarray(0, blocks * BLOCK));
    for (let i = 0; i < data.length; i++) out[offset + i] = (data[i] as number) ^ (keystream[i] as number);
  }
}

/** Adds one to the big-endian 128-bit block at `at`, wrapping at 2^128. */
function increment(block: Buffer, at: number): void {
  for (let i = at + BLOCK - 1; i >= at; i--) {
    const next = ((block[i] as number) + 1) & 0xff;
    block[i] = next;
    if (next !== 0) return;
  }
}
