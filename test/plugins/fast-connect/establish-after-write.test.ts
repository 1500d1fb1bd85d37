import "reflect-metadata";
import { randomBytes } from "node:crypto";
import test from "ava";
import { Keyv } from "keyv";
import { pino } from "pino";
import { startFastConnect } from "../../../client/flows/fast-connect-flow.js";
import { type EstablishedSession, startHandshake } from "../../../client/flows/handshake-flow.js";
import type { ConfigInput } from "../../../core/config/config.js";
import { loadConfig } from "../../../core/config/load-config.js";
import type { ByteTransport } from "../../../core/connection/connection.js";
import { ServerConnection } from "../../../core/connection/server-connection.js";
import { IdentityKey } from "../../../core/crypto/identity-key.js";
import type { TrafficKeys } from "../../../core/crypto/key-schedule.js";
import { PinnedServerKey } from "../../../core/crypto/pinned-server-key.js";
import { RecordCipher } from "../../../core/crypto/record-cipher.js";
import { Dispatcher } from "../../../core/dispatch/dispatcher.js";
import { HandlerRegistry } from "../../../core/dispatch/handler-registry.js";
import { FrameDecoder } from "../../../core/protocol/frame-decoder.js";
import { encodeFrame } from "../../../core/protocol/frame-encoder.js";
import { Command, ErrorCode, ErrorReply, FrameFlag, OkReply, type Packet } from "../../../core/protocol/index.js";
import { systemClock } from "../../../core/runtime/clock.js";
import { KeyvSessionStore } from "../../../core/session/keyv-session-store.js";
import type { SessionContext } from "../../../core/session/session-context.js";
import { FastConnectHandler } from "../../../plugins/fast-connect/fast-connect.handler.js";
import { HandshakeHandler } from "../../../plugins/handshake/handshake.handler.js";
import { HeartbeatNegotiator } from "../../../plugins/heartbeat/heartbeat-negotiator.js";
import { ECHO, EchoHandler, withEcho } from "../../helpers/echo-plugin.js";
import { RawClient } from "../../helpers/raw-client.js";
import { startServer } from "../../helpers/server.js";
import { ANY_HEARTBEAT, DEVICE, pinnedKey, rawHandshake, ticketOf } from "../../helpers/session-peer.js";
import { eventually } from "../../helpers/wait.js";

/** A transport that keeps every write and its callback, so the test decides when a write "completes". */
class HeldPipe implements ByteTransport {
  readonly kind = "test";
  readonly remoteAddress = "test";
  readonly bufferedBytes = 0;
  readonly writes: { data: Buffer; done: (error?: Error | null) => void }[] = [];
  write(data: Buffer, onWritten?: (error?: Error | null) => void): void {
    this.writes.push({ data, done: onWritten ?? (() => {}) });
  }
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  onceDrained(): void {}
  end(): void {}
  destroy(): void {}
}

function packetOf(frame: Buffer): Packet {
  let out: Packet | undefined;
  new FrameDecoder(1 << 20).push(frame, (p) => {
    out = { ...p, body: Buffer.from(p.body) };
  });
  if (!out) throw new Error("not a whole frame");
  return out;
}

function rig(overrides: ConfigInput = {}) {
  const config = loadConfig({ env: {}, overrides: { keyFile: "/nonexistent", ...overrides } });
  const identity = IdentityKey.generate();
  const store = new KeyvSessionStore(new Keyv({ namespace: "t" }), identity, config, systemClock);
  const negotiator = new HeartbeatNegotiator(config);
  const log = pino({ level: "silent" });
  const registry = new HandlerRegistry();
  registry.add(new FastConnectHandler(store, negotiator, config, systemClock, log));
  registry.add(new HandshakeHandler(identity, store, negotiator, systemClock, config, log));
  registry.add(new EchoHandler());
  const established: SessionContext[] = [];
  const pipe = new HeldPipe();
  const connection = new ServerConnection(
    "1",
    pipe,
    new Dispatcher(registry, config, log),
    { established: (_, s) => established.push(s), closing: () => {}, closed: () => {}, violated: () => {} },
    config,
    systemClock,
  );
  return { identity, store, pipe, connection, established };
}

function keysOf(traffic: TrafficKeys) {
  return { up: new RecordCipher(traffic.clientToServer), down: new RecordCipher(traffic.serverToClient) };
}

async function establishing(kind: "HANDSHAKE" | "FAST_CONNECT", overrides: ConfigInput = {}) {
  const r = rig(overrides);
  let flow: { body: Buffer; finish(body: Uint8Array): EstablishedSession };
  let cmd: number;
  if (kind === "FAST_CONNECT") {
    const secret = randomBytes(32);
    const id = r.store.allocate(Date.now())?.id as string;
    await r.store.save(id, {
      deviceId: DEVICE.deviceId,
      osName: DEVICE.osName,
      osVersion: DEVICE.osVersion,
      clientVersion: DEVICE.clientVersion,
      heartbeatMs: 60_000,
      sessionSecret: secret,
      createdAtMs: Date.now(),
      expiresAtMs: Date.now() + 60_000,
      chainId: "chain",
    });
    flow = startFastConnect(
      { sessionId: id, sessionSecret: secret, deviceId: DEVICE.deviceId },
      ANY_HEARTBEAT,
      Date.now(),
    );
    cmd = Command.FAST_CONNECT;
  } else {
    flow = startHandshake(DEVICE, ANY_HEARTBEAT, PinnedServerKey.from(r.identity.publicKeyRaw));
    cmd = Command.HANDSHAKE;
  }
  r.connection.receive(encodeFrame(cmd, 0, 1, flow.body));
  await eventually(() => (r.pipe.writes.length > 0 ? true : undefined), 2000, 5);
  const reply = packetOf((r.pipe.writes[0] as HeldPipe["writes"][0]).data);
  const session = flow.finish(reply.body);
  return { ...r, reply, session, ciphers: keysOf(session.secrets.traffic) };
}

for (const kind of ["FAST_CONNECT", "HANDSHAKE"] as const) {
  test(`${kind}: keys switch on at once, the session only once the reply is written`, async (t) => {
    const { pipe, connection, established, reply, session, ciphers } = await establishing(kind);
    t.is(reply.cmd, kind === "HANDSHAKE" ? Command.HANDSHAKE : Command.FAST_CONNECT);
    t.is(reply.flags & FrameFlag.ENCRYPTED, 0, "the establishing reply goes in clear");
    t.true(connection.encrypted, "keys are installed right after the reply is queued");
    t.is(connection.session, undefined, "no session before the write callback");
    t.is(established.length, 0);

    // A session-only command sent the moment the reply arrives waits for the write, then is served.
    connection.receive(ciphers.up.seal(ECHO, 0, 2, Buffer.from("right after")));
    await new Promise((r) => setTimeout(r, 20));
    t.is(pipe.writes.length, 1, "held back while the reply's write is pending");
    t.is(connection.session, undefined);

    pipe.writes[0]?.done(null);
    await eventually(() => (pipe.writes.length > 1 ? true : undefined), 2000, 5);
    t.is(connection.session?.sessionId, session.sessionId);
    t.is(connection.session?.resumed, kind === "FAST_CONNECT");
    t.is(established.length, 1);
    const answer = packetOf((pipe.writes[1] as HeldPipe["writes"][0]).data);
    t.is(answer.cmd, Command.OK);
    t.is(answer.flags & FrameFlag.ENCRYPTED, FrameFlag.ENCRYPTED);
    t.is(OkReply.decode(ciphers.down.open(answer)).data, `${session.sessionId}|${kind === "FAST_CONNECT"}|right after`);
  });

  test(`${kind}: a connection closed before the reply's write completes gets no session, and no establishment is announced`, async (t) => {
    const { pipe, connection, established } = await establishing(kind);
    connection.close("server shutting down");
    pipe.writes[0]?.done(null);
    await new Promise((r) => setTimeout(r, 20));
    t.is(connection.session, undefined);
    t.is(established.length, 0);
  });

  test(`${kind}: the establishing reply is never deflated, whatever the compression threshold`, async (t) => {
    const { reply, session } = await establishing(kind, { compressThresholdBytes: 1 });
    t.is(reply.flags & FrameFlag.COMPRESSED, 0);
    t.truthy(session.sessionId);
  });

  test(`${kind}: when the reply's write fails, no session is restored`, async (t) => {
    const { pipe, connection, established, ciphers } = await establishing(kind);
    connection.receive(ciphers.up.seal(ECHO, 0, 2, Buffer.from("too early")));
    pipe.writes[0]?.done(new Error("EPIPE"));
    await eventually(() => (pipe.writes.length > 1 ? true : undefined), 2000, 5);
    t.is(connection.session, undefined);
    t.is(established.length, 0);
    const answer = packetOf((pipe.writes[1] as HeldPipe["writes"][0]).data);
    t.is(answer.cmd, Command.ERROR);
    t.is(ErrorReply.decode(ciphers.down.open(answer)).code, ErrorCode.SESSION_REQUIRED);
  });
}

test("live: a session-only command sent as soon as FAST_CONNECT_OK arrives is served by the resumed session", async (t) => {
  const server = await startServer({}, withEcho);
  t.teardown(server.close);
  const first = await RawClient.open(server.port);
  t.teardown(() => first.close());
  const { session } = await rawHandshake(first, pinnedKey(server.keyFile));
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const flow = startFastConnect(ticketOf(session), ANY_HEARTBEAT, Date.now());
  raw.writeFrame(Command.FAST_CONNECT, 1, flow.body);
  // Sends from inside the data handler that delivers the reply: no turn of the event loop in between.
  const sent = new Promise<void>((resolve) => {
    raw.socket.prependOnceListener("data", (chunk: Buffer) => {
      const reply = packetOf(chunk);
      const resumed = flow.finish(reply.body);
      const up = new RecordCipher(resumed.secrets.traffic.clientToServer);
      raw.socket.write(up.seal(ECHO, 0, 2, Buffer.from("hot")));
      resolve();
    });
  });
  await sent;
  await raw.next(); // FAST_CONNECT_OK
  const echoed = await raw.next();
  t.is(echoed.cmd, Command.OK);
  t.is(echoed.flags & FrameFlag.ENCRYPTED, FrameFlag.ENCRYPTED);
});
