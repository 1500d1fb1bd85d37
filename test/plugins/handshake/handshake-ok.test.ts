import "reflect-metadata";
import test from "ava";
import { startHandshake } from "../../../client/flows/handshake-flow.js";
import {
  Command,
  ErrorCode,
  ErrorReply,
  encodeMessage,
  HandshakeOk,
  HandshakeRequest,
  HandshakeServerHello,
} from "../../../core/protocol/index.js";
import { RawClient } from "../../helpers/raw-client.js";
import { startServer } from "../../helpers/server.js";
import { ANY_HEARTBEAT, DEVICE, handshakeOn, pinnedKey, rawHandshake } from "../../helpers/session-peer.js";

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

test("HANDSHAKE fields past their limits are INVALID_ARGUMENT naming the field; at the limits they are accepted", async (t) => {
  // More refusals on one connection than maxErrorsBeforeSession allows a stranger.
  const server = await startServer({ maxErrorsBeforeSession: 0 });
  t.teardown(server.close);
  const key = pinnedKey(server.keyFile);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const request = HandshakeRequest.decode(startHandshake(DEVICE, ANY_HEARTBEAT, key).body);
  // Limits count UTF-8 bytes: "é" is two.
  const refused: [string, Partial<HandshakeRequest>][] = [
    ["device_id", { deviceId: "" }],
    ["device_id", { deviceId: "d".repeat(129) }],
    ["os_name", { osName: "é".repeat(33) }],
    ["os_version", { osVersion: "v".repeat(65) }],
    ["client_version", { clientVersion: "c".repeat(65) }],
    ["client_nonce", { clientNonce: Buffer.alloc(31) }],
    ["client_share", { clientShare: Buffer.alloc(33) }],
  ];
  let seq = 1;
  for (const [field, change] of refused) {
    raw.writeFrame(Command.HANDSHAKE, seq, encodeMessage(HandshakeRequest, { ...request, ...change }));
    const reply = await raw.next();
    t.is(reply.seq, seq++);
    const error = ErrorReply.decode(reply.body);
    t.is(error.code, ErrorCode.INVALID_ARGUMENT, field);
    t.true(error.reason.startsWith(`${field} `), `${field}: ${error.reason}`);
  }
  const atLimits = {
    deviceId: "d".repeat(128),
    osName: "é".repeat(32),
    osVersion: "v".repeat(64),
    clientVersion: "c".repeat(64),
  };
  const session = await handshakeOn(server, { device: atLimits });
  t.truthy(session.sessionId);
});
