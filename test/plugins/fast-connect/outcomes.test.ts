import "reflect-metadata";
import { randomBytes } from "node:crypto";
import test from "ava";
import {
  Command,
  ErrorCode,
  ErrorReply,
  encodeMessage,
  FastConnectHello,
  FastConnectOk,
  FastConnectRequest,
  FastConnectServerHello,
} from "../../../core/protocol/index.js";
import { withEcho } from "../../helpers/echo-plugin.js";
import { RawClient } from "../../helpers/raw-client.js";
import { startServer, type TestServer } from "../../helpers/server.js";
import {
  DEVICE,
  errorCodeOf,
  fastConnectRequest,
  handshakeOn,
  pinnedKey,
  rawFastConnect,
  rawHandshake,
  sendFastConnect,
  ticketOf,
} from "../../helpers/session-peer.js";

async function refusal(server: TestServer, body: Uint8Array) {
  const raw = await RawClient.open(server.port);
  try {
    const reply = await sendFastConnect(raw, body, 5);
    // Still open and served: a heartbeat is echoed.
    raw.write([0xdf]);
    if ((await raw.next()).cmd !== Command.HEARTBEAT) throw new Error("no heartbeat echo after the refusal");
    return { reply, error: reply.cmd === Command.ERROR ? ErrorReply.decode(reply.body) : undefined };
  } finally {
    raw.close();
  }
}

test("an id the store does not hold answers SESSION_EXPIRED, with the request's seq, in clear", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const ticket = { sessionId: randomBytes(18).toString("base64url"), sessionSecret: randomBytes(32), deviceId: "d" };
  const { reply, error } = await refusal(server, fastConnectRequest(ticket).body);
  t.is(reply.seq, 5);
  t.is(reply.flags, 0);
  t.is(error?.command, Command.FAST_CONNECT);
  t.is(error?.code, ErrorCode.SESSION_EXPIRED);
});

test("the right secret from another device answers INVALID_DEVICE and resumes nothing", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const session = await handshakeOn(server);
  const { error } = await refusal(server, fastConnectRequest(ticketOf(session, "device-2")).body);
  t.is(error?.code, ErrorCode.INVALID_DEVICE);
  // The owner is not locked out by someone else's attempt.
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  await t.notThrowsAsync(rawFastConnect(raw, ticketOf(session)));
});

test("FAST_CONNECT_OK renegotiates the heartbeat from the new request's bounds", async (t) => {
  const server = await startServer({ heartbeat: { minMs: 10_000, maxMs: 60_000 } });
  t.teardown(server.close);
  const session = await handshakeOn(server, { heartbeat: { minHeartbeatMs: 0, maxHeartbeatMs: 20_000 } });
  t.is(session.heartbeatMs, 20_000);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const resumed = await rawFastConnect(raw, ticketOf(session), {
    heartbeat: { minHeartbeatMs: 0, maxHeartbeatMs: 45_000 },
  });
  t.is(resumed.session.heartbeatMs, 45_000);
  const connection = [...server.server.connections.values()].find((c) => c.session?.resumed);
  t.is(connection?.session?.heartbeatMs, 45_000);
  t.is(connection?.session?.deviceId, DEVICE.deviceId);
  t.is(connection?.session?.osName, DEVICE.osName);
  t.is(connection?.session?.sessionId, resumed.session.sessionId);
});

test("a refused FAST_CONNECT leaves the connection usable for a HANDSHAKE", async (t) => {
  const server = await startServer({}, withEcho);
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const ticket = { sessionId: randomBytes(18).toString("base64url"), sessionSecret: randomBytes(32), deviceId: "d" };
  t.is(errorCodeOf(await sendFastConnect(raw, fastConnectRequest(ticket).body)), ErrorCode.SESSION_EXPIRED);
  const { session } = await rawHandshake(raw, pinnedKey(server.keyFile), { seq: 2 });
  t.regex(session.sessionId, /^[A-Za-z0-9_-]{24}$/);
});

test("FAST_CONNECT_OK is proven: finished MAC and a fresh server nonce; a tampered finished is a VerificationError", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const session = await handshakeOn(server);
  const flow = fastConnectRequest(ticketOf(session));
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const reply = await sendFastConnect(raw, flow.body);
  t.is(reply.cmd, Command.FAST_CONNECT);
  const ok = FastConnectOk.decode(reply.body);
  const hello = FastConnectServerHello.decode(ok.serverHello);
  t.is(hello.serverNonce.length, 32);
  const tampered = Buffer.from(reply.body);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
  t.throws(() => flow.finish(tampered), { name: "VerificationError" });
  t.notThrows(() => flow.finish(reply.body));
});

test("malformed FAST_CONNECT bodies are refused by field and leave the connection usable", async (t) => {
  // More refusals on one connection than maxErrorsBeforeSession allows a stranger.
  const server = await startServer({ maxErrorsBeforeSession: 0 });
  t.teardown(server.close);
  const session = await handshakeOn(server);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  raw.writeFrame(Command.FAST_CONNECT, 1, Buffer.from([0xff, 0xff, 0xff]));
  t.is(errorCodeOf(await raw.next()), ErrorCode.MALFORMED_BODY);
  const { hello, binder } = FastConnectRequest.decode(fastConnectRequest(ticketOf(session)).body);
  raw.writeFrame(Command.FAST_CONNECT, 2, encodeMessage(FastConnectRequest, { hello, binder: binder.subarray(1) }));
  const short = ErrorReply.decode((await raw.next()).body);
  t.is(short.code, ErrorCode.INVALID_ARGUMENT);
  t.regex(short.reason, /binder/);
  raw.writeFrame(Command.FAST_CONNECT, 3, encodeMessage(FastConnectRequest, { hello: Buffer.from([0xff]), binder }));
  t.is(errorCodeOf(await raw.next()), ErrorCode.MALFORMED_BODY);
  // The nonce is what makes a request single-use: nothing but its full 32 bytes is accepted.
  const fields = FastConnectHello.decode(hello);
  for (const [seq, length] of [
    [4, 0],
    [5, 31],
    [6, 33],
  ] as const) {
    const shortHello = encodeMessage(FastConnectHello, { ...fields, clientNonce: Buffer.alloc(length, 7) });
    raw.writeFrame(Command.FAST_CONNECT, seq, encodeMessage(FastConnectRequest, { hello: shortHello, binder }));
    const refused = ErrorReply.decode((await raw.next()).body);
    t.is(refused.code, ErrorCode.INVALID_ARGUMENT, `nonce of ${length} bytes`);
    t.regex(refused.reason, /client_nonce/);
  }
  // None of that consumed the session.
  await t.notThrowsAsync(rawFastConnect(raw, ticketOf(session)));
});

test("FAST_CONNECTs guessing session ids, pipelined on one connection: the 4th refusal closes it and the later ones are never answered", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const guess = () =>
    fastConnectRequest({
      sessionId: randomBytes(18).toString("base64url"),
      sessionSecret: randomBytes(32),
      deviceId: DEVICE.deviceId,
    }).body;
  for (let seq = 1; seq <= 10; seq++) raw.writeFrame(Command.FAST_CONNECT, seq, guess());
  await raw.waitClosed();
  t.deepEqual(
    raw.packets.map((p) => [p.seq, errorCodeOf(p)]),
    [1, 2, 3, 4].map((seq) => [seq, ErrorCode.SESSION_EXPIRED]),
  );
});
