import "reflect-metadata";
import test from "ava";
import type { Keyv } from "keyv";
import { KEYV } from "../../../core/index.js";
import { RawClient } from "../../helpers/raw-client.js";
import { RedisServer } from "../../helpers/redis.js";
import { leaks, spellings } from "../../helpers/secrets-at-rest.js";
import { startServer, type TestServer } from "../../helpers/server.js";
import { DEVICE, pinnedKey, rawFastConnect, rawHandshake, ticketOf } from "../../helpers/session-peer.js";

const TTL = 600_000;
const WINDOW = 30_000;
const MAX_LIFETIME = 2 * TTL;
const SESSION = { ttlMs: TTL, maxLifetimeMs: MAX_LIFETIME, replayWindowMs: WINDOW };
const kinds = (keys: Iterable<string>) => [...keys].map((k) => k.slice("mpush::".length, "mpush::".length + 2)).sort();

async function handshakeThenResume(server: TestServer) {
  const a = await RawClient.open(server.port);
  const handshake = await rawHandshake(a, pinnedKey(server.keyFile));
  a.close();
  const b = await RawClient.open(server.port);
  const resumed = await rawFastConnect(b, ticketOf(handshake.session));
  b.close();
  return [handshake.session, resumed.session];
}

function needlesOf(sessions: Awaited<ReturnType<typeof handshakeThenResume>>) {
  return [
    ...spellings("device id", DEVICE.deviceId),
    ...spellings("client version", DEVICE.clientVersion),
    ...sessions.flatMap((s, i) => [
      ...spellings(`session id ${i}`, s.sessionId),
      ...spellings(`session secret ${i}`, s.secrets.sessionSecret),
      ...spellings(`c->s key ${i}`, s.secrets.traffic.clientToServer.key),
      ...spellings(`s->c key ${i}`, s.secrets.traffic.serverToClient.key),
    ]),
  ];
}

test("Redis: no key or value holds the session id, the device id or the secret, in any spelling; TTLs are set", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const server = await startServer({ session: { ...SESSION, store: redis.url } });
  t.teardown(server.close);

  const a = await RawClient.open(server.port);
  t.teardown(() => a.close());
  const handshake = await rawHandshake(a, pinnedKey(server.keyFile));
  const afterHandshake = await redis.dump();
  // One session record, and the device's pointer to its live chain (its key an HMAC of the device id).
  t.deepEqual(kinds(afterHandshake.keys()), ["d:", "s:"]);
  const sessionKey = [...afterHandshake.keys()].find((k) => k.startsWith("mpush::s:")) as string;
  const pttl = await redis.pttl(sessionKey);
  t.true(pttl > 0 && pttl <= TTL, `PTTL ${pttl}`);
  t.true(pttl > TTL - 10_000);

  const b = await RawClient.open(server.port);
  t.teardown(() => b.close());
  const resumed = await rawFastConnect(b, ticketOf(handshake.session));
  const dump = await redis.dump();
  // The rotated session, the device pointer and one claimed nonce; the old record is gone.
  t.deepEqual(kinds(dump.keys()), ["d:", "n:", "s:"]);
  t.false(dump.has(sessionKey));
  const nonceKeys = [...dump.keys()].filter((k) => k.startsWith("mpush::n:"));
  t.is(nonceKeys.length, 1);
  // "1" as written by SET NX PX, not a Keyv JSON envelope: the atomic claim was used.
  t.is(dump.get(nonceKeys[0] as string)?.toString(), "1");
  for (const key of dump.keys()) {
    const ttl = await redis.pttl(key);
    const limit = key.startsWith("mpush::d:") ? MAX_LIFETIME : key.startsWith("mpush::n:") ? 2 * WINDOW : TTL;
    t.true(ttl > 0 && ttl <= limit, `${key}: PTTL ${ttl}`);
  }

  const needles = needlesOf([handshake.session, resumed.session]);
  t.deepEqual(leaks([...afterHandshake.keys(), ...afterHandshake.values()], needles), []);
  t.deepEqual(leaks([...dump.keys(), ...dump.values()], needles), []);
  // Positive control: the scan does find a secret that is there.
  t.deepEqual(leaks([Buffer.concat([Buffer.from("x"), resumed.session.secrets.sessionSecret])], needles), [
    "session secret 1 (bytes)",
  ]);
});

test("memory store: the raw map holds no secret or traffic key in any spelling, and every entry expires", async (t) => {
  const server = await startServer({ session: { ...SESSION, store: "memory" } });
  t.teardown(server.close);
  const sessions = await handshakeThenResume(server);
  const keyv = server.server.container.resolve<Keyv>(KEYV);
  const map = keyv.store as Map<string, unknown>;
  t.true(map instanceof Map);
  // Claimed nonces live in the store's nonce ledger, not in the map.
  t.is(map.size, 2, "session, device pointer");
  const entries = [...map.entries()].map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)] as const);
  // Ids and the client's version are plain here by design (the map shares memory with the index key); secrets never are.
  const secretsOnly = needlesOf(sessions).filter(([name]) => !name.includes(" id ") && !name.startsWith("client"));
  t.true(secretsOnly.some(([name]) => name.startsWith("session secret")));
  // Records are objects holding the wrapped secret as latin1 text: scan every string and byte array in
  // them as bytes too, not only their JSON spelling.
  const bytes = [...map.values()].flatMap(function parts(v: unknown): Buffer[] {
    if (v instanceof Uint8Array) return [Buffer.from(v)];
    if (typeof v === "string") return [Buffer.from(v, "latin1")];
    if (v === null || typeof v !== "object") return [];
    // Data only: a record's wrapper also points at the store's cipher contexts.
    const fields = Object.getPrototypeOf(v) === Object.prototype ? Object.values(v) : "record" in v ? [v.record] : [];
    return fields.flatMap(parts);
  });
  const wrapped = [...map.values()].flatMap((v) => {
    const secret = (v as { value?: { record?: { sessionSecret?: unknown } } }).value?.record?.sessionSecret;
    return typeof secret === "string" ? [Buffer.from(secret, "latin1")] : [];
  });
  t.is(wrapped.length, 1, "one wrapped secret");
  t.is(wrapped[0]?.length, 32);
  t.deepEqual(leaks([...entries.flat(), ...bytes], secretsOnly), []);
  t.true(
    [...map.keys()].some((key) => key.endsWith(`s:${sessions[1]?.sessionId}`)),
    "the live session is under its plain id",
  );
  for (const [, value] of entries) {
    const { expires } = JSON.parse(value) as { expires?: number };
    t.true(typeof expires === "number" && expires > Date.now() && expires <= Date.now() + MAX_LIFETIME);
  }
});
