import "reflect-metadata";
import { createHash } from "node:crypto";
import KeyvRedis from "@keyv/redis";
import test, { type ExecutionContext } from "ava";
import { Keyv } from "keyv";
import type { EstablishedSession } from "../../../client/flows/handshake-flow.js";
import { parseClusterUrl } from "../../../core/config/store-url.js";
import { definePlugin, IdentityKey, KEYV, loadConfig, systemClock } from "../../../core/index.js";
import { ExpirySweeper } from "../../../core/session/expiry-sweeper.js";
import { createKeyv } from "../../../core/session/keyv-factory.js";
import { KeyvSessionStore } from "../../../core/session/keyv-session-store.js";
import { ROTATE_SCRIPT } from "../../../core/session/redis-commands.js";
import { RedisServer } from "../../helpers/redis.js";
import { startServer } from "../../helpers/server.js";
import { handshakeOn, resumeOn, ticketOf } from "../../helpers/session-peer.js";
import { sessionRecord } from "../../helpers/session-record.js";

/** One whole pass: what the server's sweep does over its slices. */
const sweepExpired = (keyv: Keyv, now: number): number =>
  ExpirySweeper.of(keyv, Number.POSITIVE_INFINITY)?.step(now).removed ?? 0;

const config = loadConfig({ env: {}, overrides: { keyFile: "unused.key", session: { storeTimeoutMs: 2000 } } });
const identity = IdentityKey.generate();
/** SHA-1 of the rotate script, as SCRIPT EXISTS knows it. */
const SCRIPT_SHA = createHash("sha1").update(ROTATE_SCRIPT).digest("hex");

/** A store on a fresh redis-server of its own, both stopped when the test ends. */
async function redisStore(t: ExecutionContext) {
  const redis = await RedisServer.start();
  return { redis, store: nodeOn(t, redis) };
}

/** Another node's store on the same Redis: its own Keyv, client and record cache. */
function nodeOn(t: ExecutionContext, redis: RedisServer): KeyvSessionStore {
  const keyv = createKeyv({ ...config.session, store: redis.url });
  t.teardown(async () => {
    await keyv.disconnect();
    await redis.stop();
  });
  return new KeyvSessionStore(keyv, identity, config, systemClock);
}

/** How many GETs redis-server has answered since the last CONFIG RESETSTAT. */
async function gets(redis: RedisServer): Promise<number> {
  const stats = await redis.cli("info", "commandstats");
  return Number(/cmdstat_get:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

test("the memory store built by createKeyv keeps values as they were set and still expires them", async (t) => {
  const keyv = createKeyv({ ...config.session, store: "memory" });
  // A TTL long enough that a loaded machine never stalls between the set and the first get.
  await keyv.set("k", "sealed", 1000);
  t.is(await keyv.get("k"), "sealed");
  await new Promise((resolve) => setTimeout(resolve, 1100));
  t.is(await keyv.get("k"), undefined);
});

test("on Redis a nonce is claimed once, with SET NX", async (t) => {
  const { redis, store } = await redisStore(t);
  t.true(await store.claimNonce(Buffer.alloc(32, 3), 1000));
  t.false(await store.claimNonce(Buffer.alloc(32, 3), 1000));
  const keys = (await redis.cli("keys", "mpush::n:*")).split("\n");
  t.is(keys.length, 1);
  const ttl = Number(await redis.cli("pttl", keys[0] as string));
  t.true(ttl > 0 && ttl <= 1000);
});

test("on Redis rotate is one script: rotated, replayed, gone; it survives SCRIPT FLUSH and writes what Keyv reads", async (t) => {
  const { redis, store } = await redisStore(t);
  const now = Date.now();
  const old = sessionRecord(now, {}, 60_000);
  const next = sessionRecord(now, { heartbeatMs: 2000 }, 60_000);
  await store.save("old", old);
  await redis.cli("script", "flush");
  const nonce = Buffer.alloc(32, 9);
  t.is(await store.rotate({ from: "old", nonce, nonceTtlMs: 5000, to: "new", record: next }), "rotated");
  t.is(await store.get("old"), undefined);
  t.deepEqual(await store.get("new"), next);
  t.is(await redis.cli("script", "exists", SCRIPT_SHA), "1", "the script was loaded after the flush");

  await store.save("other", old);
  t.is(await store.rotate({ from: "other", nonce, nonceTtlMs: 5000, to: "x", record: next }), "replayed");
  t.deepEqual(await store.get("other"), old);
  t.is(await store.get("x"), undefined);
  const fresh = Buffer.alloc(32, 10);
  t.is(await store.rotate({ from: "old", nonce: fresh, nonceTtlMs: 5000, to: "y", record: next }), "gone");
  t.is(await store.get("y"), undefined);

  const keys = (await redis.cli("keys", "mpush::s:*")).split("\n").filter(Boolean);
  t.is(keys.length, 2, "new and other");
  const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
  t.true(ttls.every((ttl) => ttl > 0 && ttl <= next.expiresAtMs - now));
  const noncePttl = Number(await redis.cli("pttl", `mpush::n:${nonce.toString("base64url")}`));
  t.true(noncePttl > 0 && noncePttl <= 5000, `nonce PTTL ${noncePttl}`);
});

test("on Redis a node resumes the sessions it wrote without reading them, and the script refuses any the store no longer holds", async (t) => {
  const { redis, store: a } = await redisStore(t);
  const b = nodeOn(t, redis);
  const now = Date.now();
  const first = sessionRecord(now, {}, 60_000);
  const next = (heartbeatMs: number) => sessionRecord(now, { heartbeatMs }, 60_000);
  await a.save("s1", first);
  await redis.cli("config", "resetstat");
  t.deepEqual(await a.get("s1"), first);
  t.is(await gets(redis), 0, "node A answered from the records it wrote");
  t.deepEqual(await b.get("s1"), first);
  t.is(await gets(redis), 1, "node B read it from Redis");

  // Resumed on B: A still holds s1 in memory, but its rotation finds s1 gone from Redis.
  const second = next(2000);
  t.is(
    await b.rotate({ from: "s1", nonce: Buffer.alloc(32, 1), nonceTtlMs: 5000, to: "s2", record: second }),
    "rotated",
  );
  t.deepEqual(await a.get("s1"), first);
  t.is(
    await a.rotate({ from: "s1", nonce: Buffer.alloc(32, 2), nonceTtlMs: 5000, to: "x", record: next(3000) }),
    "gone",
  );
  t.is(await a.get("s1"), undefined, "the refused id is dropped from A's memory too");
  t.is(await b.get("x"), undefined);

  // B holds s2 in memory; after FLUSHALL its rotation is refused all the same.
  await redis.cli("flushall");
  t.deepEqual(await b.get("s2"), second);
  t.is(
    await b.rotate({ from: "s2", nonce: Buffer.alloc(32, 3), nonceTtlMs: 5000, to: "s3", record: next(4000) }),
    "gone",
  );
});

test("on Redis with session.cacheRecords = 0 a node reads every record, even one it wrote", async (t) => {
  const redis = await RedisServer.start();
  const keyv = createKeyv({ ...config.session, store: redis.url });
  t.teardown(async () => {
    await keyv.disconnect();
    await redis.stop();
  });
  const uncached = { ...config, session: { ...config.session, cacheRecords: 0 } };
  const store = new KeyvSessionStore(keyv, identity, uncached, systemClock);
  const record = sessionRecord(Date.now(), {}, 60_000);
  await store.save("s", record);
  await redis.cli("config", "resetstat");
  t.deepEqual(await store.get("s"), record);
  t.is(await gets(redis), 1);
});

test("on Redis the script checks the device's chain: a superseded chain is refused, its own passes", async (t) => {
  const { redis, store } = await redisStore(t);
  const now = Date.now();
  const old = sessionRecord(now, { chainId: "first" }, 60_000);
  await store.save("old", old);
  await store.setActiveChain(old.deviceId, "second");
  const chainKeys = (await redis.cli("keys", "mpush::d:*")).split("\n").filter(Boolean);
  t.is(chainKeys.length, 1);
  t.is(await redis.cli("get", chainKeys[0] as string), "second", "a plain string the script compares as it is");
  t.is(await store.activeChain(old.deviceId), "second");
  const rotation = { from: "old", nonce: Buffer.alloc(32, 4), nonceTtlMs: 5000, to: "new", record: old };
  t.is(await store.rotate(rotation), "superseded");
  t.is(await store.get("new"), undefined);
  await store.setActiveChain(old.deviceId, "first");
  t.is(await store.rotate({ ...rotation, nonce: Buffer.alloc(32, 5) }), "rotated");
  t.deepEqual(await store.get("new"), old);
});

test("a whole sweep drops expired entries of the in-process map, keeps live ones, and leaves other stores alone", async (t) => {
  const keyv = createKeyv({ ...config.session, store: "memory" });
  // Expiries are whole seconds away, so a busy machine between two lines cannot expire one early.
  await keyv.set("short", "a", 5_000);
  await keyv.set("long", "b", 60_000);
  await keyv.set("forever", "c");
  const map = keyv.store as Map<string, unknown>;
  t.is(map.size, 3);
  t.is(sweepExpired(keyv, Date.now()), 0);
  t.is(sweepExpired(keyv, Date.now() + 10_000), 1, "only the 5 s entry is past its expiry");
  t.is(map.size, 2);
  t.is(await keyv.get("long"), "b");
  t.is(await keyv.get("forever"), "c");
  t.is(sweepExpired(new Keyv({ store: { get() {}, set() {}, delete() {}, clear() {} } }), Date.now()), 0);
});

test("ExpirySweeper walks the map a slice at a time, removing only expired entries, and starts over after a whole pass", async (t) => {
  const keyv = createKeyv({ ...config.session, store: "memory" });
  for (let i = 0; i < 10; i++) await keyv.set(`k${i}`, i, i % 2 === 0 ? 5_000 : 60_000);
  const map = keyv.store as Map<string, unknown>;
  const sweeper = ExpirySweeper.of(keyv, 4);
  const later = Date.now() + 10_000;
  // 10 entries in slices of 4: two slices that do not finish, then the rest of the pass.
  const steps = [sweeper?.step(later), sweeper?.step(later), sweeper?.step(later)];
  t.deepEqual(
    steps.map((s) => s?.done),
    [false, false, true],
  );
  t.is(
    steps.reduce((sum, s) => sum + (s?.removed ?? 0), 0),
    5,
  );
  t.is(map.size, 5);
  // The next pass starts from the first entry again and sees what was added since.
  await keyv.set("late", "x", 1_000);
  const again = [sweeper?.step(later), sweeper?.step(later)];
  t.deepEqual(again, [
    { removed: 0, done: false },
    { removed: 1, done: true },
  ]);
  t.is(map.size, 5);
  t.is(ExpirySweeper.of(new Keyv({ store: { get() {}, set() {}, delete() {}, clear() {} } }), 4), undefined);
});

test("a sweep removes an entry whose expiry is now and keeps one that expires a millisecond later", async (t) => {
  const keyv = createKeyv({ ...config.session, store: "memory" });
  await keyv.set("due", "a", 60_000);
  await keyv.set("next", "b", 60_000);
  const map = keyv.store as Map<string, { expires: number }>;
  // Keys as stored, namespace and all.
  const [dueKey, nextKey] = [...map.keys()] as [string, string];
  const due = (map.get(dueKey) as { expires: number }).expires;
  (map.get(nextKey) as { expires: number }).expires = due + 1;
  t.is(sweepExpired(keyv, due - 1), 0);
  t.is(sweepExpired(keyv, due), 1);
  t.false(map.has(dueKey));
  t.true(map.has(nextKey));
  t.is(sweepExpired(keyv, due + 1), 1);
  t.is(map.size, 0);
});

/** Reversible and recognizable: decompress refuses anything compress did not write. */
const prefixed = {
  compress: async (value: unknown) => `z:${Buffer.from(JSON.stringify(value)).toString("base64")}`,
  decompress: async (value: unknown) => {
    if (typeof value !== "string" || !value.startsWith("z:")) throw new Error("not written by compress");
    return JSON.parse(Buffer.from(value.slice(2), "base64").toString()) as unknown;
  },
  serialize: JSON.stringify,
  deserialize: JSON.parse,
};

test("on Redis with a plugin's compressing Keyv, a session resumes twice in a row: rotate writes what Keyv reads back", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const { namespace } = config.session;
  const keyv = new Keyv({
    store: new KeyvRedis(redis.url, { throwOnErrors: true, throwOnConnectError: true, namespace }),
    namespace,
    useKeyPrefix: false,
    throwOnErrors: true,
    compression: prefixed,
  });
  t.teardown(() => keyv.disconnect());
  const compressingStore = definePlugin({
    name: "compressing-store",
    register(container) {
      container.registerInstance(KEYV, keyv);
    },
  });
  // No record cache: every resume reads its session from Redis, through Keyv's decompression.
  const server = await startServer({ session: { store: redis.url, cacheRecords: 0 } }, [{ plugin: compressingStore }]);
  t.teardown(server.close);
  const first = await handshakeOn(server);
  const second = await resumeOn(server, ticketOf(first));
  t.is(second.code, undefined);
  const third = await resumeOn(server, ticketOf(second.session as EstablishedSession));
  t.is(third.code, undefined, "the session the first resume rotated is read back and resumed");
  const sessions = [...(await redis.dump()).entries()].filter(([key]) => key.startsWith("mpush::s:"));
  t.is(sessions.length, 1);
  t.regex(sessions[0]?.[1].toString() ?? "", /"value":"z:/, "stored compressed");
});

test("a cluster URL's credentials belong to the cluster, decoded; rediss+cluster means TLS on every node", (t) => {
  t.deepEqual(parseClusterUrl("redis+cluster://a:7000, b:7001"), {
    scheme: "redis",
    tls: false,
    nodes: ["a:7000", "b:7001"],
    credentials: {},
  });
  t.deepEqual(parseClusterUrl("rediss+cluster://app:p%40ss%3Aw%2Fd@a:7000"), {
    scheme: "rediss",
    tls: true,
    nodes: ["a:7000"],
    credentials: { username: "app", password: "p@ss:w/d" },
  });
  t.deepEqual(parseClusterUrl("redis+cluster://:secret@a:7000,b:7001")?.credentials, { password: "secret" });
  t.is(parseClusterUrl("redis://a:7000"), undefined);
});

test("a password holding '@' or '/' unencoded is still the cluster's, and the hosts come after the last '@'", (t) => {
  const parsed = parseClusterUrl("redis+cluster://:s3cr/Et@pw==@a:7000,b:7001");
  t.deepEqual(parsed?.credentials, { password: "s3cr/Et@pw==" });
  t.deepEqual(parsed?.nodes, ["a:7000", "b:7001"]);
});

test("a raw '%' in a cluster password is taken as written, not a boot-time URIError", (t) => {
  t.deepEqual(parseClusterUrl("redis+cluster://:100%sure@a:7000")?.credentials, { password: "100%sure" });
});
