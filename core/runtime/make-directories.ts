import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * mkdir -p, one level at a time. Node's recursive mkdir never returns for a
 * directory under a parent that exists but takes no new entries and answers
 * ENOENT (a path in /proc): it spins on a thread of the pool for good.
 */
export async function makeDirectories(dir: string, mode: number): Promise<void> {
  try {
    await mkdir(dir, { mode });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return;
    const parent = dirname(dir);
    if (code !== "ENOENT" || parent === dir) throw cause;
    await makeDirectories(parent, mode);
    await mkdir(dir, { mode }).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== "EEXIST") throw again;
    });
  }
}
