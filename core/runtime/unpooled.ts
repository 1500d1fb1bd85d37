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

export function unpooledCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  copy.set(bytes);
  return copy;
}
