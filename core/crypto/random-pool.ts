import { randomFillSync } from "node:crypto";

/**
 * Small CSPRNG values (nonces, session ids) cut from a block that is refilled
 * 4 KiB at a time. Node's randomBytes creates a crypto job, and OpenSSL checks
 * getpid, on every call: about 1.5 us, several times per connection. Here that
 * happens once per block; a value costs a copy. Every byte is handed out once
 * and then overwritten by the next refill. Node does the same for randomUUID.
 */
const BLOCK_BYTES = 4096;
const block = Buffer.allocUnsafeSlow(BLOCK_BYTES);
let used = BLOCK_BYTES;

/** `size` fresh random bytes in a buffer of their own. */
export function pooledRandomBytes(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  if (size > BLOCK_BYTES) return randomFillSync(out);
  if (used + size > BLOCK_BYTES) {
    randomFillSync(block);
    used = 0;
  }
  block.copy(out, 0, used, used + size);
  used += size;
  return out;
}
