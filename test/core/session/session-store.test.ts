import "reflect-metadata";
import { randomBytes } from "node:crypto";
import test from "ava";
import { Keyv } from "keyv";
import { pino } from "pino";
import { loadConfig } from "../../../core/config/load-config.js";
import { IdentityKey } from "../../../core/crypto/identity-key.js";
import { createKeyv } from "../../../core/session/keyv-factory.js";
import { KeyvSessionStore } from "../../../core/session/keyv-session-store.js";
import type { StoredSession } from "../../../core/session/session-store.js";
import type { WrappedRecord } from "../../../core/session/store-layout.js";
import { ManualClock } from "../../helpers/server.js";
import { sessionRecord } from "../../helpers/session-record.js";

const config = loadConfig({
  env: {},
  overrides: { keyFile: "/nonexistent", session: { ttlMs: 10_000, maxLifetimeMs: 15_000 } },
});

const record = sessionRecord;

function storeWith(keyv = createKeyv(config.session), identity = IdentityKey.generate(), clock = new ManualClock()) {
  return { store: new KeyvSessionStore(keyv, identity, config, clock), keyv, identity, clock };
}

test("allocate: 24-char ids, expiry min(now + ttl, created + max lifetime), undefined past the cap", (t) => {
  const { store, clock } = storeWith();
  const now = clock.now();
  const fresh = store.allocate(now);
  t.regex(fresh?.id ?? "", /^[A-Za-z0-9_-]{24}$/);
  t.true(Math.abs((fresh?.expiresAtMs ?? 0) - (now + 10_000)) < 50);
  const old = store.allocate(now - 8000);
  t.true(Math.abs((old?.expiresAtMs ?? 0) - (now + 7000)) < 50, "capped by the lifetime");
  t.is(store.allocate(now - 15_000), undefined);
});

test("a record round-trips, reads as missing once expired by the clock, and delete removes it", async (t) => {
  const { store, clock } = storeWith();
  const saved = record(clock.now());
  await store.save("id-1", saved);
  t.deepEqual(await store.get("id-1"), saved);
  clock.advance(10_001);
  t.is(await store.get("id-1"), undefined);
  clock.advance(-10_001);
  await store.delete("id-1");
  t.is(await store.get("id-1"), undefined);
});

/** Any Keyv store but the in-process Map gets the hashed layout, as Redis and plugin stores do. */
class PluginMap extends Map<string, string> {}
type Envelope = { value: string; expires: number };

test("outside the process a record is sealed whole: it does not open under another id's key, under another identity, or when tampered", async (t) => {
  const keyv = new Keyv({ store: new PluginMap() });
  const { store, clock } = storeWith(keyv);
  await store.save("id-a", record(clock.now()));
  await store.save("id-b", record(clock.now()));
  const map = keyv.store as PluginMap;
  const [[keyA, entryA], [keyB]] = [...map.entries()] as [[string, string], [string]];
  t.false(keyA.includes("id-a"), "keys are HMACs of the ids");
  const saved = await store.get("id-a");
  t.truthy(saved, "the untouched record opens");
  // Moving a's record under b's key: the key is the AAD, so b reads as missing.
  map.set(keyB, entryA);
  t.is(await store.get("id-b"), undefined);
  // Another server key cannot read it at all.
  t.is(await storeWith(keyv).store.get("id-a"), undefined);
  // One flipped bit in the sealed body.
  const envelope = JSON.parse(entryA) as Envelope;
  const sealed = Buffer.from(envelope.value, "base64");
  sealed[20] = (sealed[20] as number) ^ 1;
  map.set(keyA, JSON.stringify({ ...envelope, value: sealed.toString("base64") }));
  t.is(await store.get("id-a"), undefined);
});

test("the in-process map holds no secret in clear: plain id keys, the secret wrapped under the store's own key", async (t) => {
  const { store, clock, keyv } = storeWith();
  const saved = record(clock.now());
  await store.save("id-a", saved);
  const map = keyv.store as Map<string, { value: { record: WrappedRecord } }>;
  const [[key, entry]] = [...map.entries()] as [[string, { value: { record: WrappedRecord } }]];
  t.true(key.endsWith("s:id-a"), "in-process keys are plain: the map shares memory with the index key");
  t.is(typeof entry.value.record.sessionSecret, "string");
  const wrapped = Buffer.from(entry.value.record.sessionSecret, "latin1");
  t.is(wrapped.length, saved.sessionSecret.length);
  t.false(wrapped.equals(saved.sessionSecret));
  t.is(Buffer.from(JSON.stringify(entry)).indexOf(saved.sessionSecret.toString("hex")), -1);
  t.deepEqual(await store.get("id-a"), saved);
  // The wrap key is this store's own: another store over the same map reads no session.
  t.is(await storeWith(keyv).store.get("id-a"), undefined);
  // What is read is a copy: changing it does not reach the map.
  const read = (await store.get("id-a")) as StoredSession;
  read.sessionSecret.fill(0);
  t.deepEqual(await store.get("id-a"), saved);
});

test("delete reports whether this call removed the session: concurrent deletes of one id, exactly one true", async (t) => {
  const { store, clock } = storeWith();
  await store.save("id-1", record(clock.now()));
  const results = await Promise.all(Array.from({ length: 5 }, () => store.delete("id-1")));
  t.is(results.filter(Boolean).length, 1);
  t.false(await store.delete("id-1"));
  t.false(await store.delete("never-existed"));
});

test("claimNonce: true once, false after; concurrent claims of one nonce: exactly one wins", async (t) => {
  const { store } = storeWith();
  const nonce = randomBytes(32);
  t.true(await store.claimNonce(nonce, 60_000));
  t.false(await store.claimNonce(nonce, 60_000));
  t.true(await store.claimNonce(randomBytes(32), 60_000));
  const contested = randomBytes(32);
  const results = await Promise.all(Array.from({ length: 10 }, () => store.claimNonce(contested, 60_000)));
  t.is(results.filter(Boolean).length, 1);
});

test("a store that never answers fails within storeTimeoutMs with StoreUnavailableError", async (t) => {
  const hanging = new Keyv({
    store: {
      get: () => new Promise(() => {}),
      set: () => new Promise(() => {}),
      delete: () => new Promise(() => {}),
      clear: async () => {},
    },
  });
  const fast = loadConfig({ env: {}, overrides: { keyFile: "/nonexistent", session: { storeTimeoutMs: 100 } } });
  const store = new KeyvSessionStore(hanging, IdentityKey.generate(), fast, new ManualClock());
  const started = Date.now();
  await t.throwsAsync(store.get("x"), { name: "StoreUnavailableError" });
  await t.throwsAsync(store.save("x", record(Date.now())), { name: "StoreUnavailableError" });
  await t.throwsAsync(store.claimNonce(randomBytes(32), 1000), { name: "StoreUnavailableError" });
  t.true(Date.now() - started < 1000);
});

test("rotate: claims the nonce, retires the old id, saves the new one; a replay and a lost race change nothing", async (t) => {
  const { store, clock } = storeWith();
  const old = record(clock.now());
  await store.save("old", old);
  const next = record(clock.now(), { heartbeatMs: 2000 });
  const nonce = randomBytes(32);
  t.is(await store.rotate({ from: "old", nonce, nonceTtlMs: 60_000, to: "new", record: next }), "rotated");
  t.is(await store.get("old"), undefined);
  t.deepEqual(await store.get("new"), next);

  await store.save("other", old);
  t.is(await store.rotate({ from: "other", nonce, nonceTtlMs: 60_000, to: "x", record: next }), "replayed");
  t.deepEqual(await store.get("other"), old, "a replayed nonce leaves the session alone");
  t.is(await store.get("x"), undefined);

  t.is(await store.rotate({ from: "old", nonce: randomBytes(32), nonceTtlMs: 60_000, to: "y", record: next }), "gone");
  t.is(await store.get("y"), undefined);
});

test("the in-process store holds at most memoryMaxEntries: new records and device pointers are refused, a resume's rotation is not", async (t) => {
  const bounded = { ...config, session: { ...config.session, memoryMaxEntries: 3 } };
  const clock = new ManualClock();
  const store = new KeyvSessionStore(createKeyv(bounded.session), IdentityKey.generate(), bounded, clock);
  const first = record(clock.now(), { deviceId: "a", chainId: "chain-a" });
  await store.save("a-1", first);
  await store.setActiveChain("a", "chain-a");
  await store.save("b-1", record(clock.now(), { deviceId: "b" }));
  // Three entries: two records and a device pointer.
  const full = { name: "StoreUnavailableError", message: /in-process store holds its maximum of 3 entries/ };
  await t.throwsAsync(store.save("c-1", record(clock.now(), { deviceId: "c" })), full);
  await t.throwsAsync(store.setActiveChain("b", "chain-b"), full);
  t.is(await store.get("c-1"), undefined);
  // A resume deletes its old record before saving the new one, so it goes on at the maximum.
  const next = { ...first, heartbeatMs: 2000 };
  t.is(
    await store.rotate({ from: "a-1", nonce: randomBytes(32), nonceTtlMs: 60_000, to: "a-2", record: next }),
    "rotated",
  );
  t.deepEqual(await store.get("a-2"), next);
  // Room comes back as entries leave.
  await store.delete("b-1");
  await store.save("c-1", record(clock.now(), { deviceId: "c" }));
  t.truthy(await store.get("c-1"));
});

test("memoryMaxEntries bounds only the in-process store", async (t) => {
  const bounded = { ...config, session: { ...config.session, memoryMaxEntries: 1 } };
  const keyv = new Keyv({ store: new PluginMap() });
  const store = new KeyvSessionStore(keyv, IdentityKey.generate(), bounded, new ManualClock());
  await store.save("x", record(Date.now()));
  await store.save("y", record(Date.now()));
  t.is((keyv.store as PluginMap).size, 2);
});

test("rotate: a chain other than the device's newest is superseded; the nonce is claimed and the session stays", async (t) => {
  const { store, clock } = storeWith();
  const old = record(clock.now(), { chainId: "first" });
  await store.save("old", old);
  await store.setActiveChain(old.deviceId, "second");
  const nonce = randomBytes(32);
  const rotation = { from: "old", nonce, nonceTtlMs: 60_000, to: "new", record: { ...old, heartbeatMs: 2000 } };
  t.is(await store.rotate(rotation), "superseded");
  t.deepEqual(await store.get("old"), old);
  t.is(await store.get("new"), undefined);
  t.is(await store.rotate(rotation), "replayed", "the refused request's nonce was claimed");
  // No chain known (never stored, expired, flushed) passes, as does the device's own newest chain.
  await store.setActiveChain(old.deviceId, "first");
  t.is(await store.rotate({ ...rotation, nonce: randomBytes(32) }), "rotated");
});

test("rotate: of concurrent resumes of one id, exactly one rotates", async (t) => {
  const { store, clock } = storeWith();
  await store.save("contested", record(clock.now()));
  const outcomes = await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      store.rotate({
        from: "contested",
        nonce: randomBytes(32),
        nonceTtlMs: 60_000,
        to: `n${i}`,
        record: record(clock.now()),
      }),
    ),
  );
  t.deepEqual(outcomes.filter((o) => o === "rotated").length, 1);
  t.deepEqual(outcomes.filter((o) => o === "gone").length, 4);
});

test("claimed nonces are kept by steady time: after the wall clock is set back, they are still forgotten after twice their TTL", async (t) => {
  let wall = Date.now();
  let steady = 1_000_000;
  const clock = { now: () => wall, steady: () => steady };
  const { store } = storeWith(createKeyv(config.session), IdentityKey.generate(), clock as unknown as ManualClock);
  const nonce = randomBytes(32);
  t.true(await store.claimNonce(nonce, 1000));
  t.false(await store.claimNonce(nonce, 1000), "a replay within the TTL");
  wall -= 60 * 60 * 1000;
  steady += 3000;
  // Forgotten, so the ledger keeps turning over: its size follows the claim rate, not the clock's mistakes.
  t.true(await store.claimNonce(nonce, 1000));
});

/** A plugin's Keyv store adapter: neither Keyv's Map nor Redis, each operation answering after `delayMs`. */
function slowAdapter(delayMs: number) {
  const data = new Map<string, unknown>();
  const later = <T>(value: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(value()), delayMs));
  return {
    data,
    get: (key: string) => later(() => data.get(key)),
    set: (key: string, value: unknown) => later(() => data.set(key, value)),
    delete: (key: string) => later(() => data.delete(key)),
    clear: () => later(() => data.clear()),
  };
}

test("on a plugin's async store, concurrent claims of one nonce: exactly one wins, though each reads before any writes", async (t) => {
  const adapter = slowAdapter(10);
  const { store } = storeWith(new Keyv({ store: adapter }));
  const contested = randomBytes(32);
  const results = await Promise.all(Array.from({ length: 5 }, () => store.claimNonce(contested, 60_000)));
  t.is(results.filter(Boolean).length, 1);
  t.is(adapter.data.size, 1, "the claim was written once");
  t.false(await store.claimNonce(contested, 60_000), "and it holds afterwards");
  t.true(await store.claimNonce(randomBytes(32), 60_000));
});

test("save of a record already at or past its expiry writes nothing, not an entry without a TTL", async (t) => {
  const now = Date.now();
  const clock = { now: () => now, steady: () => 0 } as unknown as ManualClock;
  for (const keyv of [createKeyv(config.session), new Keyv({ store: new PluginMap() })]) {
    const { store } = storeWith(keyv, IdentityKey.generate(), clock);
    // Exactly now: a TTL of 0, which Keyv takes as "never expires".
    await store.save("at-expiry", record(now, {}, 0));
    await store.save("past-expiry", record(now, {}, -1000));
    t.is((keyv.store as Map<string, unknown>).size, 0);
    t.is(await store.get("at-expiry"), undefined);
  }
});

test("a store that answers reads but refuses writes has not recovered: only a write that succeeds says so", async (t) => {
  const data = new Map<string, unknown>();
  const writes = { fail: true };
  const adapter = {
    get: async (key: string) => data.get(key),
    set: async (key: string, value: unknown) => {
      if (writes.fail) throw new Error("NOREPLICAS Not enough good replicas to write.");
      data.set(key, value);
    },
    delete: async (key: string) => data.delete(key),
    clear: async () => data.clear(),
  };
  const lines: { msg: string }[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const clock = new ManualClock();
  const keyv = new Keyv({ store: adapter, throwOnErrors: true });
  const store = new KeyvSessionStore(keyv, IdentityKey.generate(), config, clock, log);
  t.teardown(() => store.dispose());
  const saved = record(clock.now());
  await t.throwsAsync(store.save("a".repeat(24), saved), { name: "StoreUnavailableError" });
  t.is(await store.get("a".repeat(24)), undefined, "a read succeeds");
  t.false(lines.some((line) => line.msg === "session store answers again"));
  writes.fail = false;
  await store.save("a".repeat(24), saved);
  t.is(lines.filter((line) => line.msg === "session store answers again").length, 1);
});

/** A plugin store that answers reads and refuses every write, keeping the key of each write asked of it. */
function writeRefusingStore() {
  const data = new Map<string, unknown>();
  const written: string[] = [];
  const adapter = {
    get: async (key: string) => data.get(key),
    set: async (key: string) => {
      written.push(key);
      throw new Error("NOREPLICAS Not enough good replicas to write.");
    },
    delete: async (key: string) => data.delete(key),
    clear: async () => data.clear(),
  };
  const lines: { msg: string }[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const clock = new ManualClock();
  const store = new KeyvSessionStore(
    new Keyv({ store: adapter, throwOnErrors: true }),
    IdentityKey.generate(),
    config,
    clock,
    log,
  );
  const probes = () => written.filter((key) => key.includes("recovery-probe")).length;
  return { store, lines, clock, probes };
}

test("reading a nonce or a device chain does not end an outage either", async (t) => {
  const { store, lines, clock } = writeRefusingStore();
  t.teardown(() => store.dispose());
  await t.throwsAsync(store.save("b".repeat(24), record(clock.now())), { name: "StoreUnavailableError" });
  t.is(await store.activeChain("device-1"), undefined, "the read answers");
  await t.throwsAsync(store.claimNonce(randomBytes(16), 60_000), { name: "StoreUnavailableError" });
  t.false(lines.some((line) => line.msg === "session store answers again"));
});

test("while writes fail, one recovery probe is armed however many operations fail, and none once disposed", async (t) => {
  const failingOften = writeRefusingStore();
  const disposedFirst = writeRefusingStore();
  const disposedAfter = writeRefusingStore();
  t.teardown(() => failingOften.store.dispose());
  disposedFirst.store.dispose();
  for (const { store, clock } of [failingOften, disposedFirst, disposedAfter]) {
    for (let n = 0; n < 3; n++) {
      await t.throwsAsync(store.save(`${n}`.repeat(24), record(clock.now())), { name: "StoreUnavailableError" });
    }
  }
  disposedAfter.store.dispose();
  // The probe writes STORM_LOG_INTERVAL_MS (5 s) after the first failure.
  await new Promise((resolve) => setTimeout(resolve, 5500));
  t.is(failingOften.probes(), 1);
  t.is(disposedFirst.probes(), 0);
  t.is(disposedAfter.probes(), 0);
});
