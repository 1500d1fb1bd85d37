import "reflect-metadata";
import test from "ava";
import { loadConfig } from "../../../core/index.js";
import { createKeyv, disconnect } from "../../../core/session/keyv-factory.js";
import type { ReleasableKeyvRedis } from "../../../core/session/releasable-redis.js";
import { RedisServer } from "../../helpers/redis.js";
import { eventually, sleep } from "../../helpers/wait.js";

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

test("a store down at its first call connects its client once: later calls fail at once, and Redis back gets one connection", async (t) => {
  const redis = await RedisServer.start();
  await redis.stop();
  const keyv = keyvFor(redis);
  const adapter = keyv.store as ReleasableKeyvRedis<unknown>;
  const listeners = adapter.client.listenerCount("error");
  const client = adapter.client as unknown as { connect(): Promise<unknown> };
  const connect = client.connect.bind(client);
  let connects = 0;
  client.connect = () => {
    connects++;
    return connect();
  };
  const waited = Date.now();
  await t.throwsAsync(keyv.get("k"), { message: /not connected/ });
  t.true(Date.now() - waited >= 900, "the first call waits for the connect, up to the 1 s deadline");
  const failedAt = Date.now();
  await t.throwsAsync(keyv.get("k"), { message: /not connected/ });
  t.true(Date.now() - failedAt < 500, "a later call does not wait that connect again");
  await redis.restart();
  t.teardown(() => redis.stop());
  // The first connect's retries find Redis (backoff at most 2 s).
  t.is(
    await eventually(
      () =>
        keyv.get("k").then(
          () => true,
          () => undefined,
        ),
      5000,
      100,
    ),
    true,
  );
  await keyv.set("k", "v");
  t.is(await keyv.get("k"), "v");
  t.is(connects, 1, "one connect, its retries included");
  t.is((await clients(redis)).length, 1);
  t.is(adapter.client.listenerCount("error"), listeners, "no listeners added by the reconnect");
  await disconnect(keyv);
});
