import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../scripts/free-port.js";
import { type Service, serverEnv, startRedis, startService } from "./processes.js";

/**
 * `npm run bench:idle`: what an established, idle connection costs the
 * server. Client processes (at most 8000 connections each: one process may
 * hold 20 000 descriptors here) complete a HANDSHAKE on every connection and
 * then stay silent; the bench reads the server's RSS before and after, and its
 * CPU while everyone idles (the sweep is the only work left). One JSON line.
 * Env: MPUSH_BENCH_IDLE_CONNECTIONS (default 16000; the server must stay
 * under this machine's 20 000 descriptors per process); MPUSH_BENCH_IDLE_STORE
 * "memory" (default) or "redis", which starts a redis-server of its own.
 */
const CONNECTIONS = Number(process.env.MPUSH_BENCH_IDLE_CONNECTIONS ?? 16_000);
const STORE = process.env.MPUSH_BENCH_IDLE_STORE ?? "memory";
const PER_WORKER = 8000;
const IDLE_SAMPLE_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mpush-bench-idle-"));
  const keyFile = join(dir, "server.key");
  const port = await freePort();
  const main = fileURLToPath(new URL("../core/main.js", import.meta.url));
  if (STORE !== "memory" && STORE !== "redis")
    throw new Error(`MPUSH_BENCH_IDLE_STORE must be memory or redis, not ${STORE}`);
  let redis: Service | undefined;
  let store = "memory";
  if (STORE === "redis") {
    const redisPort = await freePort();
    redis = await startRedis(redisPort, dir);
    store = `redis://127.0.0.1:${redisPort}`;
  }
  const env = serverEnv(port, { MPUSH_KEY_FILE: keyFile, MPUSH_LOG_LEVEL: "warn", MPUSH_SESSION_STORE: store });
  const server = await startService("mpush", process.execPath, [main], env, port).catch(async (error: unknown) => {
    await redis?.stop();
    throw error;
  });
  const workers: ChildProcess[] = [];
  try {
    await sleep(1000);
    const rssBefore = server.rssBytes();
    const started = Date.now();
    const script = fileURLToPath(new URL("./idle-client.js", import.meta.url));
    const ready: Promise<number>[] = [];
    for (let left = CONNECTIONS, i = 0; left > 0; left -= PER_WORKER, i++) {
      const count = Math.min(PER_WORKER, left);
      const worker = fork(script, ["127.0.0.1", String(port), String(count), keyFile, `idle${i}`]);
      workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.once("message", (message: { ready?: number; lost?: number; error?: string }) =>
            message.error ? reject(new Error(message.error)) : resolve((message.ready ?? 0) - (message.lost ?? 0)),
          );
          worker.once("exit", (code) => reject(new Error(`idle client exited with ${code}`)));
        }),
      );
    }
    const established = (await Promise.all(ready)).reduce((a, b) => a + b, 0);
    const establishSeconds = (Date.now() - started) / 1000;
    await sleep(2000);
    const rssAfter = server.rssBytes();
    const cpuBefore = server.cpuMs();
    await sleep(IDLE_SAMPLE_MS);
    const idleCpuMs = server.cpuMs() - cpuBefore;
    const line = {
      bench: "idle-connections",
      store: STORE,
      connections: established,
      establish_s: Math.round(establishSeconds * 10) / 10,
      rss_before_mb: Math.round(rssBefore / 2 ** 20),
      rss_after_mb: Math.round(rssAfter / 2 ** 20),
      kib_per_connection: Math.round(((rssAfter - rssBefore) / established / 1024) * 10) / 10,
      idle_cpu_percent: Math.round((idleCpuMs / IDLE_SAMPLE_MS) * 1000) / 10,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    for (const worker of workers) worker.send("stop");
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once("exit", resolve))));
    await server.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:idle failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
