/**
 * Buffers with a memory block of their own, for bytes a connection keeps for
 * its whole life. A small Buffer from allocUnsafe or Buffer.from, and any
 * subarray of one, is a slice of Node's shared 8 KiB pool, and whatever keeps
 * the slice keeps the whole pool alive: 3 000 idle connections held 266 pools
 * through one such slice each (docs/benchmarks.md, idle connections).
 */
export function unpooled(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size);
}

/** The parts, one after the other, in one block of their own. */
export function unpooledCopy(...parts: Uint8Array[]): Buffer {
  let size = 0;
  for (const part of parts) size += part.length;
  const copy = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const part of parts) {
    copy.set(part, at);
    at += part.length;
  }
  return copy;
}
