import "reflect-metadata";
import test from "ava";
import { HandshakeOk, HandshakeServerHello } from "../../../core/protocol/index.js";
import { RawClient } from "../../helpers/raw-client.js";
import { startServer } from "../../helpers/server.js";
import { pinnedKey, rawHandshake } from "../../helpers/session-peer.js";

const TTL = 3600_000;

test("HANDSHAKE_OK carries a 144-bit session id, expiry = now + ttl and the negotiated heartbeat", async (t) => {
  const server = await startServer({
    heartbeat: { minMs: 10_000, maxMs: 60_000 },
    session: { ttlMs: TTL, maxLifetimeMs: 2 * TTL },
  });
  t.teardown(server.close);
  const key = pinnedKey(server.keyFile);
  const ids = new Set<string>();
  for (const [wish, expected] of [
    [{ minHeartbeatMs: 20_000, maxHeartbeatMs: 30_000 }, 30_000], // overlap: the client's max
    [{ minHeartbeatMs: 0, maxHeartbeatMs: 0 }, 60_000], // no bound: the server's max
    [{ minHeartbeatMs: 1000, maxHeartbeatMs: 5000 }, 10_000], // below the server: the server's min
  ] as const) {
    const raw = await RawClient.open(server.port);
    t.teardown(() => raw.close());
    const before = Date.now();
    const { reply, session } = await rawHandshake(raw, key, { heartbeat: wish });
    const after = Date.now();
    const hello = HandshakeServerHello.decode(HandshakeOk.decode(reply.body).serverHello);

    t.regex(hello.sessionId, /^[A-Za-z0-9_-]{24}$/);
    t.is(Buffer.from(hello.sessionId, "base64url").length, 18);
    t.false(ids.has(hello.sessionId));
    ids.add(hello.sessionId);
    t.true(hello.expiresAtMs >= before + TTL && hello.expiresAtMs <= after + TTL, `expiry ${hello.expiresAtMs}`);
    t.true(hello.serverTimeMs >= before && hello.serverTimeMs <= after);
    t.is(hello.heartbeatMs, expected);
    t.is(session.heartbeatMs, expected);
    t.is(session.sessionId, hello.sessionId);
  }
});

test("session ids of many handshakes are distinct and use the whole base64url alphabet", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const key = pinnedKey(server.keyFile);
  const raws = await Promise.all(Array.from({ length: 40 }, () => RawClient.open(server.port)));
  t.teardown(() => {
    for (const raw of raws) raw.close();
  });
  const ids = await Promise.all(raws.map(async (raw) => (await rawHandshake(raw, key)).session.sessionId));
  t.is(new Set(ids).size, ids.length);
  // 40 x 24 characters drawn from 64 symbols: far more than 20 distinct ones unless the id is not random.
  t.true(new Set(ids.join("")).size > 40, "ids look random across the alphabet");
  // Same device, same second: MPush's MD5(deviceId + time) would collide here.
  t.is(new Set(ids.map((id) => id.slice(0, 8))).size, ids.length);
});
