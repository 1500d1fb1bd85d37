import "reflect-metadata";
import test from "ava";
import { Keyv } from "keyv";
import { IdentityKey, loadConfig, systemClock } from "../../../core/index.js";
import { createKeyv, sweepExpired } from "../../../core/session/keyv-factory.js";
import { KeyvSessionStore } from "../../../core/session/session-store.js";
import { RedisServer } from "../../helpers/redis.js";

const config = loadConfig({ env: {}, overrides: { keyFile: "unused.key", session: { storeTimeoutMs: 50 } } });
const identity = IdentityKey.generate();

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

test("sweepExpired drops expired entries of the in-process map, keeps live ones, and leaves other stores alone", async (t) => {
  const keyv = createKeyv({ ...config.session, store: "memory" });
  await keyv.set("short", "a", 10);
  await keyv.set("long", "b", 60_000);
  await keyv.set("forever", "c");
  const map = keyv.store as Map<string, unknown>;
  t.is(map.size, 3);
  t.is(sweepExpired(keyv, Date.now()), 0);
  t.is(sweepExpired(keyv, Date.now() + 1000), 1, "only the 10 ms entry is past its expiry");
  t.is(map.size, 2);
  t.is(await keyv.get("long"), "b");
  t.is(await keyv.get("forever"), "c");
  t.is(sweepExpired(new Keyv({ store: { get() {}, set() {}, delete() {}, clear() {} } }), Date.now()), 0);
});
