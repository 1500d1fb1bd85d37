import { randomBytes, timingSafeEqual } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { type ResumeTicket, startFastConnect } from "../client/index.js";
import { NONCE_LENGTH, ResumeSchedule } from "../core/crypto/key-schedule.js";
import { encodeMessage, FastConnectHello, FastConnectOk, FastConnectRequest } from "../core/protocol/index.js";
import { fastConnectReplyParts } from "../plugins/fast-connect/fast-connect-reply.js";

/**
 * `npm run bench:resume-work`: what one FAST_CONNECT's protocol work costs
 * each side in-process, without network, store or framework: the client's
 * request and its check of the reply, the server's decode, binder check and
 * reply. Timed back to back ("warm") and after 1 ms idle before each step, as
 * the sequential rows of `npm run bench` run them. One JSON line per side;
 * docs/benchmarks.md reads them against the sequential rows.
 */
const WARMUP = 20_000;
const WARM_SAMPLES = 20_000;
const IDLE_SAMPLES = 1_000;

const ticket: ResumeTicket = { sessionId: "b".repeat(43), sessionSecret: randomBytes(32), deviceId: "bench-device" };
const HEARTBEAT = { minHeartbeatMs: 0, maxHeartbeatMs: 0 };

function serverReply(requestBody: Buffer): Buffer {
  const request = FastConnectRequest.decode(requestBody);
  const hello = FastConnectHello.decode(request.hello);
  const schedule = new ResumeSchedule(ticket.sessionSecret);
  if (!timingSafeEqual(schedule.binder(request.hello), request.binder)) throw new Error("binder does not verify");
  const { ok } = fastConnectReplyParts(schedule, request.hello, {
    serverNonce: randomBytes(NONCE_LENGTH),
    sessionId: hello.sessionId,
    expiresAtMs: hello.timestampMs + 86_400_000,
    heartbeatMs: 240_000,
    serverTimeMs: hello.timestampMs,
  });
  return encodeMessage(FastConnectOk, ok);
}

/** Microseconds of each step of one resume: the client's two and the server's one. */
async function resume(idle: boolean): Promise<{ client: number; server: number }> {
  const pause = async () => {
    if (idle) await sleep(1);
  };
  await pause();
  let at = performance.now();
  const flow = startFastConnect(ticket, HEARTBEAT, Date.now());
  const start = performance.now() - at;
  await pause();
  at = performance.now();
  const reply = serverReply(flow.body);
  const server = performance.now() - at;
  await pause();
  at = performance.now();
  flow.finish(reply);
  const finish = performance.now() - at;
  return { client: (start + finish) * 1000, server: server * 1000 };
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round((sorted[sorted.length >> 1] as number) * 10) / 10;
}

async function measure(count: number, idle: boolean): Promise<{ client: number; server: number }> {
  const client: number[] = [];
  const server: number[] = [];
  for (let i = 0; i < count; i++) {
    const step = await resume(idle);
    client.push(step.client);
    server.push(step.server);
  }
  return { client: median(client), server: median(server) };
}

await measure(WARMUP, false);
const warm = await measure(WARM_SAMPLES, false);
const afterIdle = await measure(IDLE_SAMPLES, true);
for (const side of ["client", "server"] as const) {
  const line = { bench: "resume-work", side, warm_us: warm[side], after_idle_us: afterIdle[side] };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
