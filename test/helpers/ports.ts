import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../scripts/free-port.js";

const LOCKS = join(tmpdir(), "mpush-test-ports");
const held: string[] = [];
process.once("exit", () => {
  for (const lock of held) rmSync(lock, { force: true });
});

/**
 * A loopback port for a server the test stops and starts again on it, or
 * starts some time after choosing the port: no other test file running
 * alongside can take it in between. freePort()'s ports come from the kernel's
 * ephemeral range, which every listen(0) and every outgoing connection of the
 * other file draws from; this one is below that range, where the kernel hands
 * out nothing, and a lock file keeps the suite's other files off it. Falls
 * back to freePort() where the range cannot be read.
 */
export async function reservedPort(): Promise<number> {
  const low = ephemeralLow();
  if (low === undefined || low < 12_000) return freePort();
  mkdirSync(LOCKS, { recursive: true });
  for (let i = 0; i < 200; i++) {
    const port = low - 10_000 + Math.floor(Math.random() * 10_000);
    const lock = join(LOCKS, String(port));
    if (!take(lock)) continue;
    if (await isFree(port)) {
      held.push(lock);
      return port;
    }
    rmSync(lock, { force: true });
  }
  throw new Error("no reservable port below the ephemeral range");
}

function ephemeralLow(): number | undefined {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the lock holding this process's id; takes over one left by a process that is gone. */
function take(lock: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || alive(lock)) return false;
      rmSync(lock, { force: true });
    }
  }
  return false;
}

function alive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, "utf8"));
  } catch {
    return true; // being written: someone holds it
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}
