import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ExecutionContext } from "ava";
import { reservedPort } from "./ports.js";
import { tempKeyFile } from "./server.js";

/** The repository root (this file runs from build/test/helpers/). */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface ChildServer {
  readonly child: ChildProcess;
  readonly port: number;
  /** Every stdout line so far (pino JSON). */
  readonly lines: string[];
  readonly stderr: string[];
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
}

/**
 * `node build/core/main.js` as `npm start` runs it (or `npm start` itself),
 * configured by MPUSH_* variables only; resolves once it logged
 * "listening on tcp://host:port".
 */
export async function startChildServer(
  env: Record<string, string> = {},
  options: { viaNpmStart?: boolean } = {},
): Promise<ChildServer> {
  const port = await reservedPort();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MPUSH_")));
  // Through npm, the child is npm itself, as an operator's `npm start` would be (its build step skipped).
  const [command, args] = options.viaNpmStart
    ? ["npm", ["start", "--silent", "--ignore-scripts"]]
    : [process.execPath, ["build/core/main.js"]];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: {
      ...clean,
      MPUSH_HOST: "127.0.0.1",
      MPUSH_PORT: String(port),
      MPUSH_KEY_FILE: tempKeyFile(),
      MPUSH_LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  let pending = "";
  const listening = new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (data: string) => {
      pending += data;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (line.includes(`listening on tcp://127.0.0.1:${port}`)) resolve();
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (data: string) => stderr.push(data));
    exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${stderr.join("")}`)));
    setTimeout(() => reject(new Error(`server did not listen in 10 s: ${lines.join("\n")}`)), 10_000).unref();
  });
  try {
    await listening;
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return { child, port, lines, stderr, exited };
}

/**
 * A boot that must fail: resolves with its error. Should the server start after
 * all, the test fails and the server is killed rather than left running.
 */
export async function failedBoot(t: ExecutionContext, env: Record<string, string>): Promise<Error | undefined> {
  const attempt = startChildServer(env);
  attempt.then(
    (server) => t.teardown(() => server.child.kill("SIGKILL")),
    () => {},
  );
  return t.throwsAsync(attempt);
}

/** Resident set size of a process, in bytes, from /proc/<pid>/status. */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}
