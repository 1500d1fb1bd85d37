import "reflect-metadata";
import test from "ava";
import { startHandshake } from "../../client/flows/handshake-flow.js";
import { Command } from "../../core/protocol/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import {
  ANY_HEARTBEAT,
  DEVICE,
  fastConnectRequest,
  handshakeOn,
  pinnedKey,
  resumeOn,
  ticketOf,
} from "../helpers/session-peer.js";
import { sleep } from "../helpers/wait.js";

// Redis holds every command for PAUSE_MS; the peer leaves while its request waits on the store.
const PAUSE_MS = 600;

/** cacheRecords 0: every read goes to Redis, as on a node that did not write the session. */
async function pausedServer(t: { teardown(fn: () => Promise<void> | void): void }) {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 3000, cacheRecords: 0 } });
  t.teardown(() => server.close());
  const pause = () => redis.cli("CLIENT", "PAUSE", String(PAUSE_MS), "ALL");
  return { redis, server, pause };
}

/** Session records in Redis: their keys are `<namespace>:s:<hashed id>`. */
async function sessionRecords(redis: RedisServer): Promise<number> {
  return [...(await redis.dump()).keys()].filter((key) => key.includes(":s:")).length;
}

test("a HANDSHAKE whose peer left while its session was being stored deletes it and does not supersede the device's session", async (t) => {
  const { redis, server, pause } = await pausedServer(t);
  const kept = ticketOf(await handshakeOn(server));
  t.is(await sessionRecords(redis), 1);
  await pause();
  const raw = await RawClient.open(server.port);
  raw.writeFrame(Command.HANDSHAKE, 1, startHandshake(DEVICE, ANY_HEARTBEAT, pinnedKey(server.keyFile)).body);
  await sleep(150);
  raw.close();
  await sleep(PAUSE_MS + 300);
  t.is(await sessionRecords(redis), 1, "the abandoned handshake's record is deleted, not left until its TTL");
  const resumed = await resumeOn(server, kept);
  t.is(resumed.code, undefined, "the session the client kept still resumes");
});

test("a FAST_CONNECT whose peer left while its session was being read does not use the session up", async (t) => {
  const { server, pause } = await pausedServer(t);
  const kept = ticketOf(await handshakeOn(server));
  await pause();
  const raw = await RawClient.open(server.port);
  raw.writeFrame(Command.FAST_CONNECT, 1, fastConnectRequest(kept).body);
  await sleep(150);
  raw.close();
  await sleep(PAUSE_MS + 300);
  const resumed = await resumeOn(server, kept);
  t.is(resumed.code, undefined, "the session the client kept still resumes");
});
