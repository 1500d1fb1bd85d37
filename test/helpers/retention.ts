import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * What a connection keeps for its life must not be a slice of Node's shared
 * 8 KiB Buffer pool: the slice would keep the whole pool alive (about 0.7 KiB
 * per idle connection, 1 KiB per connection that sealed frames, before the fix).
 */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * Runs `make` right at the start of a fresh pool, so that its small allocations
 * come from that pool, then hands the rest of the pool to throwaway buffers:
 * only what `make` returns can keep the pool alive afterwards.
 */
export function inFreshPool<T>(make: () => T): { kept: T; pool: WeakRef<ArrayBufferLike> } {
  let first = Buffer.allocUnsafe(1);
  while (first.byteOffset !== 0) first = Buffer.allocUnsafe(1);
  const pool = new WeakRef(first.buffer);
  const kept = make();
  for (let i = 0; i < 4; i++) Buffer.allocUnsafe(2048);
  return { kept, pool };
}

/** Whether `target` is gone after a full collection. */
export async function released(target: WeakRef<object>): Promise<boolean> {
  // A WeakRef holds its target until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return target.deref() === undefined;
}
