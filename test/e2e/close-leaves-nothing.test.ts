import "reflect-metadata";
import test from "ava";
import { RawClient } from "../helpers/raw-client.js";
import { RedisCluster, RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import { fastConnectOn, handshakeOn, resumeOn, ticketOf } from "../helpers/session-peer.js";
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
