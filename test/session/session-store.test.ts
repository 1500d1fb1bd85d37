import "reflect-metadata";
import test from "ava";
import { Keyv } from "keyv";
import { IdentityKey, loadConfig, StoreUnavailableError, systemClock } from "../../core/index.js";
import { createKeyv } from "../../core/session/keyv-factory.js";
import { KeyvSessionStore } from "../../core/session/session-store.js";
import { RedisServer } from "../helpers/redis.js";

const config = loadConfig({ env: {}, overrides: { keyFile: "unused.key", session: { storeTimeoutMs: 50 } } });
const identity = IdentityKey.generate();

/** A store adapter that never answers, as a partitioned remote store would. */
function silentStore() {
  const never = () => new Promise<never>(() => {});
  return { get: never, set: never, delete: never, clear: never };
}

test("a store that does not answer fails with StoreUnavailableError after storeTimeoutMs", async (t) => {
  const store = new KeyvSessionStore(new Keyv({ store: silentStore() }), identity, config, systemClock);
  const started = Date.now();
  await t.throwsAsync(store.get("some-session-id"), { instanceOf: StoreUnavailableError });
  t.true(Date.now() - started >= 45);
  await t.throwsAsync(store.claimNonce(Buffer.alloc(32, 1), 1000), { instanceOf: StoreUnavailableError });
});

test("on Keyv's in-process Map a session round-trips and a nonce is claimed once", async (t) => {
  const store = new KeyvSessionStore(new Keyv(), identity, config, systemClock);
  const now = Date.now();
  const allocation = store.allocate(now);
  if (allocation === undefined) return t.fail("no allocation");
  const record = {
    deviceId: "device",
    osName: "os",
    osVersion: "1",
    clientVersion: "1",
    heartbeatMs: 60_000,
    sessionSecret: Buffer.alloc(32, 7),
    createdAtMs: now,
    expiresAtMs: allocation.expiresAtMs,
  };
  await store.save(allocation.id, record);
  t.deepEqual((await store.get(allocation.id))?.sessionSecret, record.sessionSecret);
  await store.delete(allocation.id);
  t.is(await store.get(allocation.id), undefined);
  t.true(await store.claimNonce(Buffer.alloc(32, 2), 1000));
  t.false(await store.claimNonce(Buffer.alloc(32, 2), 1000));
});

test("the memory store built by createKeyv keeps values as they were set and still expires them", async (t) => {
  const keyv = createKeyv({ ...config.session, store: "memory" });
  await keyv.set("k", "sealed", 30);
  t.is(await keyv.get("k"), "sealed");
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.is(await keyv.get("k"), undefined);
});

test("on Redis a nonce is claimed once, with SET NX", async (t) => {
  const redis = await RedisServer.start();
  const keyv = createKeyv({ ...config.session, store: redis.url });
  t.teardown(async () => {
    await keyv.disconnect();
    await redis.stop();
  });
  const store = new KeyvSessionStore(keyv, identity, config, systemClock);
  t.true(await store.claimNonce(Buffer.alloc(32, 3), 1000));
  t.false(await store.claimNonce(Buffer.alloc(32, 3), 1000));
  const keys = (await redis.cli("keys", "mpush::n:*")).split("\n");
  t.is(keys.length, 1);
  const ttl = Number(await redis.cli("pttl", keys[0] as string));
  t.true(ttl > 0 && ttl <= 1000);
});
