import { performance } from "node:perf_hooks";
import { ClientConnection } from "../client/index.js";
import { LatencyRecorder } from "./stats.js";

/** What one worker does between connect and close; it throws on anything but the expected reply. */
export interface Operation {
  exchange(connection: ClientConnection): Promise<void>;
  /** After a failed iteration, e.g. a new session when a resume failed; its time counts against the rate. */
  recover?(): Promise<void>;
}

/** One row's work: builds each worker's operation before the clock starts. */
export interface Workload {
  prepare(worker: number): Promise<Operation>;
}

export interface Target {
  readonly host: string;
  readonly port: number;
}

export interface LoopResult {
  readonly ok: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly latencies: LatencyRecorder;
  /** Mean ms of each step of the successful iterations: where a sequential row's latency goes. */
  readonly phases: { readonly connect: number; readonly exchange: number; readonly close: number };
  /** The first few distinct failure messages, for the log. */
  readonly failures: readonly string[];
}

/** Connect, exchange and close each get this long before the iteration counts as an error. */
const STEP_TIMEOUT_MS = 5000;
const KEPT_FAILURES = 5;

/**
 * The loop every row runs: `concurrency` workers, each repeating
 * connect -> one exchange -> close (waiting until the socket is closed) until
 * `durationMs` has passed. An iteration's latency runs from before the
 * connect to the closed socket; failed iterations count as errors and record
 * no latency.
 */
export async function runLoop(
  target: Target,
  workload: Workload,
  concurrency: number,
  durationMs: number,
): Promise<LoopResult> {
  const operations = await Promise.all(Array.from({ length: concurrency }, (_, i) => workload.prepare(i)));
  const latencies = new LatencyRecorder();
  const failures = new Set<string>();
  let ok = 0;
  let errors = 0;
  let connectMs = 0;
  let exchangeMs = 0;
  let closeMs = 0;
  const started = performance.now();
  const deadline = started + durationMs;

  const work = async (operation: Operation) => {
    while (performance.now() < deadline) {
      const begin = performance.now();
      let connection: ClientConnection | undefined;
      try {
        connection = await ClientConnection.open(target.host, target.port, { timeoutMs: STEP_TIMEOUT_MS });
        const connected = performance.now();
        await operation.exchange(connection);
        const exchanged = performance.now();
        await closeWithin(connection, STEP_TIMEOUT_MS);
        const closed = performance.now();
        latencies.record(closed - begin);
        connectMs += connected - begin;
        exchangeMs += exchanged - connected;
        closeMs += closed - exchanged;
        ok++;
      } catch (error) {
        errors++;
        if (failures.size < KEPT_FAILURES) failures.add((error as Error).message);
        void connection?.close();
        await operation.recover?.().catch((failure: Error) => {
          errors++;
          if (failures.size < KEPT_FAILURES) failures.add(`recovery: ${failure.message}`);
        });
      }
    }
  };
  await Promise.all(operations.map(work));
  const mean = (ms: number) => (ok === 0 ? 0 : ms / ok);
  const phases = { connect: mean(connectMs), exchange: mean(exchangeMs), close: mean(closeMs) };
  return { ok, errors, elapsedMs: performance.now() - started, latencies, phases, failures: [...failures] };
}

function closeWithin(connection: ClientConnection, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`close not completed within ${timeoutMs} ms`)), timeoutMs);
  });
  // A server that never closes its side is destroyed by the client after its grace: an error, not a close.
  const closed = connection.close().then((graceful) => {
    if (!graceful) throw new Error("the server did not close its side; the client destroyed the socket");
  });
  return Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
}
