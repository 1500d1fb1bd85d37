import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PinnedServerKey } from "../client/index.js";
import { IdentityKey } from "../core/crypto/identity-key.js";
import { freePort } from "../scripts/free-port.js";
import { type LoopResult, runLoop, type Target, type Workload } from "./client-loop.js";
import { onExit, type Service, serverEnv, startRedis, startService } from "./processes.js";
import { ratio, roundMs, roundRate } from "./stats.js";
import { fastConnect, fullHandshake, noOpExchange, rawExchange } from "./workloads.js";

/**
 * `npm run bench`: every row runs the same client loop (client-loop.ts)
 * against a server in its own process, sequentially and with 50 workers,
 * and prints one JSON line per row and mode on stdout, then one "ratios"
 * line. Progress and server output go to stderr. Exit status 1 when any
 * iteration failed. docs/benchmarks.md explains the rows.
 *
 * Env: MPUSH_BENCH_SECONDS (measured seconds per row and mode, default 5),
 * MPUSH_BENCH_ROWS (comma-separated subset of the rows),
 * MPUSH_BENCH_SERVER_NODE_ARGS (node flags for the server processes, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
const MODES = [
  { mode: "sequential", concurrency: 1 },
  { mode: "concurrent", concurrency: 50 },
] as const;
const WARMUP_MS = 1000;
/** Errors during the warm-ups, which no row reports. */
let warmupErrors = 0;
const MEASURE_MS = Number(process.env.MPUSH_BENCH_SECONDS ?? 5) * 1000;
const SERVER_NODE_ARGS = (process.env.MPUSH_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
const CORES = availableParallelism();
const TARGETS = { fast_memory_vs_raw: 0.8, fast_memory_vs_handshake: 3, fast_redis_vs_raw: 0.5 } as const;

/** CPU per operation of each process in a row and mode: the servers', then the client loop's. */
interface RowCost {
  readonly bench: string;
  readonly mode: string;
  readonly perOpUs: readonly number[];
}

interface Row {
  readonly bench: string;
  /** Starts what the row needs, in order; the last service is the one the client loop talks to. */
  start(): Promise<Service[]>;
  workload(target: Target): Workload;
}

interface RowLine {
  readonly bench: string;
  readonly mode: string;
  readonly concurrency: number;
  readonly ok: number;
  readonly errors: number;
  readonly rate_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "mpush-bench-"));
  onExit(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const keyFile = join(dir, "server.key");
    const { key } = await IdentityKey.loadOrCreate(keyFile);
    const serverKey = PinnedServerKey.from(key.publicKeyRaw);
    const wanted = process.env.MPUSH_BENCH_ROWS?.split(",").map((name) => name.trim());
    const lines: RowLine[] = [];
    const costs: RowCost[] = [];
    for (const row of rows(dir, keyFile, serverKey)) {
      if (wanted === undefined || wanted.includes(row.bench)) lines.push(...(await measure(row, costs)));
    }
    reportCeilings(lines, costs);
    const summary = ratios(lines);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.errors > 0 ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function rows(dir: string, keyFile: string, serverKey: PinnedServerKey): Row[] {
  const mpush = async (name: string, store: string): Promise<Service> => {
    const port = await freePort();
    const main = fileURLToPath(new URL("../core/main.js", import.meta.url));
    const env = { MPUSH_KEY_FILE: keyFile, MPUSH_SESSION_STORE: store, MPUSH_LOG_LEVEL: "warn" };
    return startService(name, process.execPath, [...SERVER_NODE_ARGS, main], serverEnv(port, env), port);
  };
  return [
    {
      bench: "raw-floor",
      async start() {
        const port = await freePort();
        const script = fileURLToPath(new URL("./raw-floor-server.js", import.meta.url));
        return [
          await startService("raw-floor", process.execPath, [...SERVER_NODE_ARGS, script], serverEnv(port), port),
        ];
      },
      workload: () => rawExchange(),
    },
    {
      // Diagnostic, no target: the whole framework around a command that does nothing.
      bench: "framework-floor",
      async start() {
        const port = await freePort();
        const main = fileURLToPath(new URL("../core/main.js", import.meta.url));
        const plugin = fileURLToPath(new URL("./no-op-plugin.js", import.meta.url));
        const env = {
          MPUSH_KEY_FILE: keyFile,
          MPUSH_LOG_LEVEL: "warn",
          MPUSH_PLUGINS: `mpush-ts/plugins/heartbeat,${plugin}`,
        };
        return [
          await startService("mpush-no-op", process.execPath, [...SERVER_NODE_ARGS, main], serverEnv(port, env), port),
        ];
      },
      workload: () => noOpExchange(),
    },
    {
      bench: "handshake",
      start: async () => [await mpush("mpush-memory", "memory")],
      workload: () => fullHandshake(serverKey, "handshake"),
    },
    {
      bench: "fast-connect-memory",
      start: async () => [await mpush("mpush-memory", "memory")],
      workload: (target) => fastConnect(serverKey, "fast-memory", target),
    },
    {
      bench: "fast-connect-redis",
      async start() {
        const port = await freePort();
        const redis = await startRedis(port, dir);
        try {
          return [redis, await mpush("mpush-redis", `redis://127.0.0.1:${port}`)];
        } catch (error) {
          await redis.stop();
          throw error;
        }
      },
      workload: (target) => fastConnect(serverKey, "fast-redis", target),
    },
  ];
}

/** Each row gets fresh processes: no state (sessions, nonces, JIT) carries over from another row. */
async function measure(row: Row, costs: RowCost[]): Promise<RowLine[]> {
  const services = await row.start();
  const target = services.at(-1) as Service;
  const lines: RowLine[] = [];
  try {
    for (const { mode, concurrency } of MODES) {
      process.stderr.write(`[bench] ${row.bench} ${mode}\n`);
      const warmup = await runLoop(target, row.workload(target), concurrency, WARMUP_MS);
      if (warmup.errors > 0) {
        // Not in the row's figures, but not hidden either: the run's error count includes them.
        warmupErrors += warmup.errors;
        process.stderr.write(
          `[bench] ${row.bench} ${mode} warm-up: ${warmup.errors} errors, e.g. ${warmup.failures.join(" | ")}\n`,
        );
      }
      const serverCpuBefore = services.map((service) => service.cpuMs());
      const clientCpuBefore = process.cpuUsage();
      const result = await runLoop(target, row.workload(target), concurrency, MEASURE_MS);
      const serverCpuMs = services.map((service, i) => service.cpuMs() - (serverCpuBefore[i] ?? 0));
      const clientCpu = process.cpuUsage(clientCpuBefore);
      const clientCpuMs = (clientCpu.user + clientCpu.system) / 1000;
      report(row.bench, mode, result, services, serverCpuMs, clientCpuMs);
      const perOpUs = [...serverCpuMs, clientCpuMs].map((ms) => (result.ok === 0 ? 0 : (ms * 1000) / result.ok));
      costs.push({ bench: row.bench, mode, perOpUs });
      const line: RowLine = {
        bench: row.bench,
        mode,
        concurrency,
        ok: result.ok,
        errors: result.errors,
        rate_per_s: roundRate((result.ok * 1000) / result.elapsedMs),
        p50_ms: roundMs(result.latencies.percentile(0.5)),
        p99_ms: roundMs(result.latencies.percentile(0.99)),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      lines.push(line);
    }
  } finally {
    for (const service of services.reverse()) await service.stop();
  }
  return lines;
}

/** Errors, where the CPU went (what each operation cost the server side, with redis, and the client loop) and where the latency went. */
function report(
  bench: string,
  mode: string,
  result: LoopResult,
  services: readonly Service[],
  serverCpuMs: readonly number[],
  clientCpuMs: number,
): void {
  const perOp = (ms: number) => (result.ok === 0 ? 0 : Math.round((ms * 1000) / result.ok));
  const busy = (ms: number) => Math.round((ms / result.elapsedMs) * 100);
  const total = sum(serverCpuMs);
  // With redis-server beside the node server, each process's share says which of them bounds the row.
  const split =
    services.length > 1 ? ` = ${services.map((s, i) => `${s.name} ${perOp(serverCpuMs[i] ?? 0)}`).join(" + ")}` : "";
  process.stderr.write(
    `[bench] ${bench} ${mode}: CPU per operation: servers ${perOp(total)} us${split} (${busy(total)}% of a core), ` +
      `client ${perOp(clientCpuMs)} us (${busy(clientCpuMs)}% of a core)\n`,
  );
  const us = (ms: number) => Math.round(ms * 1000);
  const { connect, exchange, close } = result.phases;
  process.stderr.write(
    `[bench] ${bench} ${mode}: mean latency per step: connect ${us(connect)} us, operation ${us(exchange)} us, close ${us(close)} us\n`,
  );
  if (result.errors === 0) return;
  process.stderr.write(`[bench] ${bench} ${mode}: ${result.errors} errors, e.g. ${result.failures.join(" | ")}\n`);
}

/**
 * About the most a row's CPU per operation allows when it runs concurrently:
 * a process's main thread runs on one core (its GC helper threads can add a
 * few percent), and together the processes share the machine's cores. Set
 * against raw-floor's measured rate, it is about the highest ratio this run's
 * machine left room for (docs/benchmarks.md, "What bounds").
 */
function reportCeilings(lines: readonly RowLine[], costs: readonly RowCost[]): void {
  const mode = "concurrent";
  const raw = lines.find((line) => line.bench === "raw-floor" && line.mode === mode)?.rate_per_s;
  if (raw === undefined) return;
  for (const bench of ["fast-connect-memory", "fast-connect-redis"]) {
    const cost = costs.find((c) => c.bench === bench && c.mode === mode);
    if (cost === undefined || cost.perOpUs.some((us) => us <= 0)) continue;
    const ceiling = Math.min(1e6 / Math.max(...cost.perOpUs), (CORES * 1e6) / sum(cost.perOpUs));
    process.stderr.write(
      `[bench] ${bench} ${mode}: its CPU per operation leaves room for about ${roundRate(ceiling)}/s on ${CORES} cores, ` +
        `${ratio(ceiling, raw)} x raw-floor's measured ${raw}/s\n`,
    );
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Rates compared within this run, per mode; a ratio whose rows did not run is left out. */
function ratios(lines: readonly RowLine[]) {
  const rate = (bench: string, mode: string) => lines.find((l) => l.bench === bench && l.mode === mode)?.rate_per_s;
  let met = true;
  const perMode: Record<string, Record<string, number>> = {};
  for (const { mode } of MODES) {
    const raw = rate("raw-floor", mode);
    const framework = rate("framework-floor", mode);
    const handshake = rate("handshake", mode);
    const memory = rate("fast-connect-memory", mode);
    const redis = rate("fast-connect-redis", mode);
    const exact: Record<string, number> = {};
    if (framework !== undefined && raw !== undefined) exact.framework_vs_raw = framework / raw;
    if (memory !== undefined && raw !== undefined) exact.fast_memory_vs_raw = memory / raw;
    if (memory !== undefined && handshake !== undefined) exact.fast_memory_vs_handshake = memory / handshake;
    if (redis !== undefined && raw !== undefined) exact.fast_redis_vs_raw = redis / raw;
    // Judged unrounded (0.795 is not 0.8), and a target whose rows did not run is not met.
    for (const [name, target] of Object.entries(TARGETS)) met &&= (exact[name] ?? 0) >= target;
    perMode[mode] = Object.fromEntries(Object.entries(exact).map(([name, value]) => [name, ratio(value, 1)]));
  }
  const errors = lines.reduce((sum, line) => sum + line.errors, warmupErrors);
  return { bench: "ratios", ...perMode, targets: TARGETS, errors, targets_met: met && errors === 0 };
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
