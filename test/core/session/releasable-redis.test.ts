import "reflect-metadata";
import test from "ava";
import { loadConfig } from "../../../core/index.js";
import { createKeyv, disconnect } from "../../../core/session/keyv-factory.js";
import type { ReleasableKeyvRedis } from "../../../core/session/releasable-redis.js";
import { RedisServer } from "../../helpers/redis.js";
import { sleep } from "../../helpers/wait.js";

/** Connections Redis holds, but the CLIENT LIST asking. */
async function clients(redis: RedisServer): Promise<string[]> {
  return (await redis.cli("CLIENT", "LIST"))
    .split("\n")
    .filter((line) => line !== "" && !line.includes("cmd=client|list"));
}

function keyvFor(redis: RedisServer) {
  const config = loadConfig({
    env: {},
    overrides: { keyFile: "unused.key", session: { store: redis.url, storeTimeoutMs: 1000 } },
  });
  const keyv = createKeyv(config.session);
  keyv.on("error", () => {});
  return keyv;
}

test("a released Redis store fails at once and opens no connection, though Redis answers", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const keyv = keyvFor(redis);
  await keyv.set("k", "v");
  t.is((await clients(redis)).length, 1);
  await disconnect(keyv);
  await t.throwsAsync(keyv.get("k"), { message: /released/ });
  await sleep(200);
  t.deepEqual(await clients(redis), []);
});

test("a call waiting for Redis to connect when the store is released fails, and Redis coming back gets no client", async (t) => {
  const redis = await RedisServer.start();
  await redis.stop();
  const keyv = keyvFor(redis);
  const read = keyv.get("k");
  // Inside the connect's retry backoff: @keyv/redis resolves that connect once it is closed.
  await sleep(150);
  await disconnect(keyv);
  await redis.restart();
  t.teardown(() => redis.stop());
  await t.throwsAsync(read, { message: /released/ });
  // Past the longest reconnect backoff (2 s).
  await sleep(2500);
  t.deepEqual(await clients(redis), []);
});

test("connects that failed before Redis came up leave the client one set of listeners", async (t) => {
  const redis = await RedisServer.start();
  await redis.stop();
  const keyv = keyvFor(redis);
  const adapter = keyv.store as ReleasableKeyvRedis<unknown>;
  const listeners = adapter.client.listenerCount("error");
  // Each read connects and fails at the 1 s deadline.
  await t.throwsAsync(keyv.get("k"));
  await t.throwsAsync(keyv.get("k"));
  await redis.restart();
  t.teardown(() => redis.stop());
  await keyv.set("k", "v");
  t.is(await keyv.get("k"), "v");
  t.is(adapter.client.listenerCount("error"), listeners);
  await disconnect(keyv);
});
