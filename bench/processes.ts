import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";

/**
 * The bench's child processes: servers and redis-server, each on a free
 * loopback port, stopped by PID at the end and also when the bench fails or
 * is interrupted, so no run leaves a process behind.
 */
const live = new Set<ChildProcess>();
/** Run on every way out, interruption included: the bench's temporary files. */
const cleanups: (() => void)[] = [];

/** Registers work for every exit, including SIGINT and SIGTERM, which skip the callers' finally blocks. */
export function onExit(cleanup: () => void): void {
  cleanups.push(cleanup);
}
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5000;

process.on("exit", () => {
  for (const child of live) killQuietly(child, "SIGKILL");
  for (const cleanup of cleanups.splice(0)) cleanup();
});
for (const [signal, status] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.on(signal, () => {
    for (const child of live) killQuietly(child, "SIGTERM");
    process.exit(status);
  });
}

export interface Service {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** CPU time (user + system) the process has used so far, ms; 0 where /proc cannot tell. */
  cpuMs(): number;
  /** Resident memory of the process now (VmRSS), bytes; 0 where /proc cannot tell. */
  rssBytes(): number;
  stop(): Promise<void>;
}

/**
 * Starts `command args` with `env` and resolves once its port accepts a TCP
 * connection. Output goes to the bench's stderr, prefixed with `name`, so
 * anything a server logs during a run is seen.
 */
export async function startService(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  port: number,
): Promise<Service> {
  const host = "127.0.0.1";
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  // A command that cannot be run (redis-server not installed) emits "error" and never "exit".
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (error) => {
      spawnError = error;
      live.delete(child);
      resolve();
    });
  });
  child.once("exit", () => live.delete(child));
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (text: string) => {
      for (const line of text.split("\n")) if (line !== "") process.stderr.write(`[${name}] ${line}\n`);
    });
  }
  const stop = async () => {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => killQuietly(child, "SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForPort(host, port, exited);
  } catch (error) {
    await stop();
    const reason = spawnError ? `cannot run ${command}: ${spawnError.message}` : (error as Error).message;
    throw new Error(`${name} did not start: ${reason}`);
  }
  return { name, host, port, cpuMs: () => cpuMsOf(child.pid), rssBytes: () => rssBytesOf(child.pid), stop };
}

async function waitForPort(host: string, port: number, exited: Promise<void>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error("it exited");
    if (await accepts(host, port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} not open after ${READY_TIMEOUT_MS} ms`);
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Linux: utime + stime from /proc/<pid>/stat, in clock ticks of 10 ms (USER_HZ 100). */
function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Linux: VmRSS from /proc/<pid>/status. */
function rssBytesOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

function killQuietly(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** A redis-server on a loopback `port` that keeps nothing on disk and logs into `dir`. */
export function startRedis(port: number, dir: string): Promise<Service> {
  const persistence = ["--save", "", "--appendonly", "no", "--dir", dir];
  const args = ["--port", String(port), "--bind", "127.0.0.1", ...persistence, "--logfile", join(dir, "redis.log")];
  return startService("redis", "redis-server", args, process.env, port);
}

/**
 * The server sees only what the bench sets: no MPUSH_* from the caller's
 * shell (the bench's own settings included), no config file.
 */
export function serverEnv(port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("MPUSH_")) env[name] = value;
  return { ...env, MPUSH_HOST: "127.0.0.1", MPUSH_PORT: String(port), ...extra };
}
