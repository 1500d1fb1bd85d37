import "reflect-metadata";
import { randomBytes } from "node:crypto";
import test from "ava";
import { ErrorCode, ErrorReply } from "../../../core/protocol/index.js";
import { RawClient } from "../../helpers/raw-client.js";
import { startServer, type TestServer } from "../../helpers/server.js";
import {
  DEVICE,
  errorCodeOf,
  fastConnectOn,
  fastConnectRequest,
  handshakeOn,
  rawFastConnect,
  sendFastConnect,
  type Ticket,
} from "../../helpers/session-peer.js";

function attempt(server: TestServer, ticket: Ticket) {
  return fastConnectOn(server, fastConnectRequest(ticket).body);
}

test("a stolen session id and device id without the secret resume nothing: BAD_PROOF", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const session = await handshakeOn(server);
  // What a sniffer of MPush's FAST_CONNECT would hold: the id and the device, in clear. Not the secret.
  for (let i = 0; i < 3; i++) {
    const reply = await attempt(server, {
      sessionId: session.sessionId,
      deviceId: DEVICE.deviceId,
      sessionSecret: randomBytes(32),
    });
    t.is(errorCodeOf(reply), ErrorCode.BAD_PROOF);
    t.is(ErrorReply.decode(reply.body).reason.includes(session.sessionId), false, "the reason never echoes the id");
  }
  t.false([...server.server.connections.values()].some((c) => c.session !== undefined));
  // The owner still resumes: failed proofs neither consume nor rotate the session.
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const resumed = await rawFastConnect(raw, {
    sessionId: session.sessionId,
    deviceId: DEVICE.deviceId,
    sessionSecret: session.secrets.sessionSecret,
  });
  t.not(resumed.session.sessionId, session.sessionId);
});

test("a nearly right secret (one bit off) is BAD_PROOF", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const session = await handshakeOn(server);
  const secret = Buffer.from(session.secrets.sessionSecret);
  secret[0] = (secret[0] as number) ^ 0x80;
  const reply = await attempt(server, {
    sessionId: session.sessionId,
    deviceId: DEVICE.deviceId,
    sessionSecret: secret,
  });
  t.is(errorCodeOf(reply), ErrorCode.BAD_PROOF);
});

test("the proof is checked before the device: a wrong secret from another device is BAD_PROOF, not INVALID_DEVICE", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const session = await handshakeOn(server);
  const reply = await attempt(server, {
    sessionId: session.sessionId,
    deviceId: "someone-else",
    sessionSecret: randomBytes(32),
  });
  t.is(errorCodeOf(reply), ErrorCode.BAD_PROOF);
});

test("the binder covers the whole hello: the owner's binder on an edited hello is BAD_PROOF", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const session = await handshakeOn(server);
  const ticket = {
    sessionId: session.sessionId,
    deviceId: DEVICE.deviceId,
    sessionSecret: session.secrets.sessionSecret,
  };
  const genuine = fastConnectRequest(ticket, { heartbeat: { minHeartbeatMs: 0, maxHeartbeatMs: 60_000 } }).body;
  // The heartbeat bound is a varint inside the hello; changing one of its bytes keeps the message decodable.
  const edited = Buffer.from(genuine);
  const at = edited.indexOf(Buffer.from([0x20])); // field 4 (max_heartbeat_ms), varint
  t.true(at > 0);
  edited[at + 1] = (edited[at + 1] as number) ^ 0x01;
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  t.is(errorCodeOf(await sendFastConnect(raw, edited)), ErrorCode.BAD_PROOF);
});
