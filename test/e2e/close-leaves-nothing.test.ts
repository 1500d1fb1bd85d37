import "reflect-metadata";
import test from "ava";
import { Command } from "../../core/protocol/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { RedisCluster, RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import { fastConnectOn, fastConnectRequest, handshakeOn, resumeOn, ticketOf } from "../helpers/session-peer.js";
import { sleep } from "../helpers/wait.js";

// Serial: each test compares the process's live handles before and after one server's life.

/** Sockets, listeners and referenced timers: what keeps a process from exiting. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (/^(TCP|Pipe|Timeout)/.test(kind)) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** What is live beyond `before`. */
function excess(before: Record<string, number>): Record<string, number> {
  const more: Record<string, number> = {};
  for (const [kind, count] of Object.entries(handles())) {
    if (count > (before[kind] ?? 0)) more[kind] = count - (before[kind] ?? 0);
  }
  return more;
}

/** Waits up to 3 s (past the Redis client's longest reconnect backoff) for nothing to be live beyond `before`. */
async function leftOver(before: Record<string, number>): Promise<Record<string, number>> {
  for (let waited = 0; waited < 3000; waited += 100) {
    if (Object.keys(excess(before)).length === 0) break;
    await sleep(100);
  }
  return excess(before);
}

/** A server's life with traffic: a handshake, a resume, and a connection still open when it closes. */
async function liveAndClose(store: string): Promise<void> {
  const server = await startServer({ session: { store, storeTimeoutMs: 500 } });
  try {
    const session = await handshakeOn(server);
    if (session.sessionId !== "") await resumeOn(server, ticketOf(session));
    else await fastConnectOn(server, new Uint8Array(0));
    const open = await RawClient.open(server.port);
    await server.close();
    open.close();
  } catch (error) {
    await server.close();
    throw error;
  }
}

test.serial("memory store: a closed server leaves no socket, listener or timer behind", async (t) => {
  const before = handles();
  await liveAndClose("memory");
  t.deepEqual(await leftOver(before), {});
});

test.serial("Redis: a closed server leaves no socket, listener or timer behind", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const before = handles();
  await liveAndClose(redis.url);
  t.deepEqual(await leftOver(before), {});
});

test.serial("Redis down all along: a closed server leaves no socket, listener or timer behind", async (t) => {
  const redis = await RedisServer.start();
  await redis.stop();
  const before = handles();
  await liveAndClose(redis.url);
  t.deepEqual(await leftOver(before), {});
});

test.serial("Redis Cluster: a closed server leaves no socket, listener or timer behind", async (t) => {
  const cluster = await RedisCluster.start(3);
  t.teardown(() => cluster.stop());
  const before = handles();
  await liveAndClose(cluster.storeUrl());
  t.deepEqual(await leftOver(before), {});
});

/** A server that was connected to Redis, then a resume waiting on the store when it closes. */
async function closeWhileWaiting(redis: RedisServer, storeFails: () => Promise<void>): Promise<void> {
  // A deadline far past the close: a timer of it would still be live when the test looks.
  const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 10_000 } });
  try {
    const session = await handshakeOn(server);
    await storeFails();
    const raw = await RawClient.open(server.port);
    raw.writeFrame(Command.FAST_CONNECT, 1, fastConnectRequest(ticketOf(session)).body);
    await sleep(100);
    await server.close();
    raw.close();
  } finally {
    await server.close();
  }
}

test.serial("Redis paused: a closed server holds no timer of a store call or connect that was waiting", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const before = handles();
  await closeWhileWaiting(redis, async () => {
    await redis.cli("CLIENT", "PAUSE", "1000", "ALL");
  });
  await sleep(100);
  t.deepEqual(excess(before), {});
});

test.serial("Redis gone: a closed server holds no timer past the Redis client's reconnect backoff", async (t) => {
  const redis = await RedisServer.start();
  const before = handles();
  await closeWhileWaiting(redis, () => redis.stop());
  t.deepEqual(await leftOver(before), {});
});
