import "reflect-metadata";
import { randomBytes } from "node:crypto";
import test from "ava";
import { FRAMES_PER_TURN, HEARTBEATS_PER_TURN } from "../../../core/connection/server-connection.js";
import type { TrafficKeys } from "../../../core/crypto/key-schedule.js";
import { RecordCipher } from "../../../core/crypto/record-cipher.js";
import type { CommandHandler, HandlerContext } from "../../../core/dispatch/command-handler.js";
import { Handles } from "../../../core/dispatch/handles.decorator.js";
import { ok, type Reply } from "../../../core/dispatch/reply.js";
import { RecordError } from "../../../core/errors/frame-errors.js";
import { encodeFrame } from "../../../core/protocol/frame-encoder.js";
import { Command, FrameFlag, OkReply } from "../../../core/protocol/index.js";
import type { SessionContext } from "../../../core/session/session-context.js";
import { HeartbeatHandler } from "../../../plugins/heartbeat/heartbeat.handler.js";
import { memoryConnection } from "../../helpers/memory-transport.js";
import { deferred } from "../../helpers/wait.js";

/** cmd 150: held until the test releases it. */
@Handles(150, { access: "public" })
class HeldHandler implements CommandHandler<Buffer> {
  readonly started: number[] = [];
  private readonly gates: (() => void)[] = [];
  async handle(_: Buffer, context: HandlerContext): Promise<Reply> {
    this.started.push(context.seq);
    const gate = deferred<void>();
    this.gates.push(gate.resolve);
    await gate.promise;
    return ok(String(context.seq));
  }
  release(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

/** cmd 151: echoes the body and the flags it saw. */
@Handles(151, { access: "public" })
class FlagsEchoHandler implements CommandHandler<Buffer> {
  handle(body: Buffer, context: HandlerContext): Reply {
    return { kind: "message", body: Buffer.from(`${context.flags}:${body.toString()}`) };
  }
}

/** cmd 152: waits for its signal and fails with the reason, keeping it. */
@Handles(152, { access: "public" })
class SignalWaitingHandler implements CommandHandler<Buffer> {
  readonly reasons: unknown[] = [];
  handle(_: Buffer, context: HandlerContext): Promise<never> {
    return new Promise((_resolve, reject) =>
      context.signal.addEventListener("abort", () => {
        this.reasons.push(context.signal.reason);
        reject(context.signal.reason);
      }),
    );
  }
}

function trafficKeys(): TrafficKeys {
  return {
    clientToServer: { key: randomBytes(16), iv: randomBytes(12) },
    serverToClient: { key: randomBytes(16), iv: randomBytes(12) },
  };
}

const SESSION: SessionContext = {
  deviceId: "d",
  osName: "",
  osVersion: "",
  clientVersion: "",
  heartbeatMs: 30_000,
  sessionId: undefined,
  expiresAt: 0,
  resumed: false,
};

test("reading pauses once maxQueuedFrames packets wait, and resumes once the backlog is served", async (t) => {
  const held = new HeldHandler();
  const { send, transport } = memoryConnection([held], { config: { maxQueuedFrames: 2 } });
  send(150, 1);
  send(150, 2);
  t.false(transport.paused, "one running, one queued");
  send(150, 3);
  t.true(transport.paused, "two queued");
  t.deepEqual(held.started, [1]);
  for (const seq of [1, 2, 3]) {
    held.release();
    t.is((await transport.next()).seq, seq);
  }
  await new Promise(setImmediate);
  t.false(transport.paused);
  t.deepEqual(held.started, [1, 2, 3]);
  t.is(transport.pauses, 1);
});

test("reading resumes as soon as the backlog drops below maxQueuedFrames, before it is empty", async (t) => {
  const held = new HeldHandler();
  const { send, transport } = memoryConnection([held], { config: { maxQueuedFrames: 2 } });
  for (const seq of [1, 2, 3]) send(150, seq);
  t.true(transport.paused);
  held.release();
  t.is((await transport.next()).seq, 1);
  await new Promise(setImmediate);
  t.false(transport.paused, "one left queued after the first was served");
  t.deepEqual(held.started, [1, 2]);
});

test("reading pauses while outbound bytes exceed the limit, and resumes on drain", async (t) => {
  const { send, transport } = memoryConnection([new HeartbeatHandler()], { config: { maxOutboundBytes: 1024 } });
  transport.bufferedBytes = 4096;
  send(Command.HEARTBEAT, 0);
  t.true(transport.paused);
  t.is((await transport.next()).cmd, Command.HEARTBEAT);
  transport.drain();
  t.false(transport.paused);
});

test("0xDF bytes arriving together are each echoed, in one write: a flood queues one chunk per read, not one per byte", (t) => {
  const { receive, transport } = memoryConnection([new HeartbeatHandler()]);
  receive(Buffer.alloc(1000, 0xdf));
  t.is(transport.writes, 1);
  t.is(transport.packets.length, 1000);
  t.true(transport.packets.every((p) => p.cmd === Command.HEARTBEAT));
  receive([0xdf]);
  t.is(transport.writes, 2);
});

test("echoes of 0xDF queued behind a request in flight go out in one write once it is answered", async (t) => {
  const held = new HeldHandler();
  const { receive, transport } = memoryConnection([new HeartbeatHandler(), held]);
  receive(Buffer.concat([encodeFrame(150, 0, 1, Buffer.alloc(0)), Buffer.alloc(20, 0xdf)]));
  t.is(transport.writes, 0);
  held.release();
  t.is((await transport.next()).cmd, Command.OK);
  await new Promise(setImmediate);
  t.is(transport.packets.length, 20, "the reply was read; the 20 echoes remain");
  t.true(transport.packets.every((p) => p.cmd === Command.HEARTBEAT));
  t.is(transport.writes, 2, "the reply, then every echo together");
});

test("the replies to one read are written corked, and handed on together once the read is worked through", (t) => {
  const { receive, transport } = memoryConnection([new HeartbeatHandler()]);
  receive(Buffer.concat([99, 98, 97].map((cmd, i) => encodeFrame(cmd, 0, i + 1, Buffer.alloc(0)))));
  t.is(transport.writes, 3);
  t.is(transport.corks, 1);
  t.is(transport.uncorks, 1);
  t.deepEqual(
    transport.packets.map((p) => [p.cmd, p.seq]),
    [
      [Command.ERROR, 1],
      [Command.ERROR, 2],
      [Command.ERROR, 3],
    ],
  );
});

test("one read's frames beyond FRAMES_PER_TURN wait for the next turns of the event loop, in order, reading paused meanwhile", async (t) => {
  const { connection, receive, transport } = memoryConnection([new FlagsEchoHandler()], {
    config: { maxQueuedFrames: 32 },
  });
  connection.establish(SESSION);
  const count = FRAMES_PER_TURN * 3 + 10;
  receive(Buffer.concat(Array.from({ length: count }, (_, i) => encodeFrame(151, 0, i + 1, Buffer.from("x")))));
  t.is(transport.packets.length, FRAMES_PER_TURN, "the rest of the read waits: other connections go first");
  t.true(transport.paused, "the backlog pauses reading");
  await new Promise(setImmediate);
  t.is(transport.packets.length, FRAMES_PER_TURN * 2);
  for (let turn = 0; turn < 3; turn++) await new Promise(setImmediate);
  t.deepEqual(
    transport.packets.map((p) => p.seq),
    Array.from({ length: count }, (_, i) => i + 1),
  );
  t.false(transport.paused);
  t.true(connection.isOpen);
});

test("the share is per turn of the event loop, not per read: Node may hand one connection many reads in a turn", async (t) => {
  const { connection, receive, transport } = memoryConnection([new FlagsEchoHandler()]);
  connection.establish(SESSION);
  const read = (from: number) =>
    receive(Buffer.concat(Array.from({ length: 40 }, (_, i) => encodeFrame(151, 0, from + i, Buffer.from("x")))));
  read(1);
  read(41);
  t.is(transport.packets.length, FRAMES_PER_TURN, "two reads of 40 in one turn: 64 handled");
  await new Promise(setImmediate);
  t.is(transport.packets.length, 80);
  read(81);
  t.is(transport.packets.length, 120, "a read in a later turn has a share of its own");
});

test("0xDF bytes do not count against a turn: a read of them and a few frames is worked through at once", (t) => {
  const { connection, receive, transport } = memoryConnection([new HeartbeatHandler(), new FlagsEchoHandler()]);
  connection.establish(SESSION);
  receive(Buffer.concat([Buffer.alloc(FRAMES_PER_TURN * 4, 0xdf), encodeFrame(151, 0, 1, Buffer.from("x"))]));
  t.is(transport.packets.length, FRAMES_PER_TURN * 4 + 1);
  t.is(transport.packets.at(-1)?.seq, 1);
});

test("a read that brings HEARTBEATS_PER_TURN 0xDF bytes echoes them all, then stops reading until the next turn", async (t) => {
  const { receive, transport } = memoryConnection([new HeartbeatHandler()]);
  receive(Buffer.alloc(HEARTBEATS_PER_TURN - 1, 0xdf));
  t.false(transport.paused, "fewer leave reading on");
  receive(Buffer.alloc(HEARTBEATS_PER_TURN, 0xdf));
  t.is(transport.packets.length, HEARTBEATS_PER_TURN * 2 - 1);
  t.is(transport.writes, 2, "one write per read, as before");
  t.true(transport.paused, "one pump of 0xDF is not read read after read within one turn");
  await new Promise(setImmediate);
  t.false(transport.paused);
  t.is(transport.pauses, 1);
});

test("close() while a read waits for its next turn ends the connection then; the waiting frames are dropped", async (t) => {
  const { connection, receive, transport, lifecycle } = memoryConnection([new FlagsEchoHandler()]);
  connection.establish(SESSION);
  receive(
    Buffer.concat(Array.from({ length: FRAMES_PER_TURN + 5 }, (_, i) => encodeFrame(151, 0, i + 1, Buffer.from("x")))),
  );
  connection.close("test");
  await new Promise(setImmediate);
  await new Promise(setImmediate);
  t.is(transport.packets.length, FRAMES_PER_TURN);
  t.true(transport.ended);
  t.deepEqual(lifecycle.closedWith, ["test"]);
});

test("every inbound chunk refreshes lastReadAt, even a partial frame", (t) => {
  let now = 1000;
  const { receive, connection } = memoryConnection([], { clock: { now: () => now, steady: () => now } });
  t.is(connection.openedAt, 1000);
  t.is(connection.lastReadAt, 1000);
  now = 5000;
  receive([0, 0]);
  t.is(connection.lastReadAt, 5000);
});

test("close() ends the transport gracefully and reports its reason once", async (t) => {
  const { connection, transport, lifecycle } = memoryConnection([]);
  connection.close("test is done");
  connection.close("second call is ignored");
  t.is(lifecycle.closings, 1, "the server hears of the close once, to bound it");
  t.false(connection.isOpen);
  t.true(transport.ended);
  t.false(transport.destroyed);
  await transport.waitClosed();
  t.deepEqual(lifecycle.closedWith, ["test is done"]);
});

test("close() while a packet is being handled lets its reply out, then ends; queued packets are dropped", async (t) => {
  const held = new HeldHandler();
  const { connection, send, transport, lifecycle } = memoryConnection([held]);
  send(150, 1);
  send(150, 2);
  connection.close("shutting down");
  t.false(connection.isOpen);
  t.false(transport.ended, "not yet: the first packet is still in hand");
  held.release();
  const reply = await transport.next();
  t.is(reply.seq, 1);
  await transport.waitClosed();
  t.true(transport.ended);
  t.false(transport.destroyed);
  t.deepEqual(held.started, [1], "the queued packet was dropped");
  t.deepEqual(lifecycle.closedWith, ["shutting down"]);
});

test("destroy() after a deferred close() does not end the transport later", async (t) => {
  const held = new HeldHandler();
  const { connection, send, transport } = memoryConnection([held]);
  send(150, 1);
  connection.close("closing");
  connection.destroy("no time left");
  held.release();
  await transport.waitClosed();
  await new Promise(setImmediate);
  t.true(transport.destroyed);
  t.false(transport.ended);
  t.is(transport.packets.length, 0);
});

test("packets arriving after close() are ignored", async (t) => {
  const { connection, receive, transport } = memoryConnection([new HeartbeatHandler()]);
  connection.close("bye");
  receive([0xdf]);
  await transport.waitClosed();
  t.is(transport.packets.length, 0);
});

test("send() after the transport closed reports an error to its callback", async (t) => {
  const { connection, transport } = memoryConnection([]);
  connection.destroy("gone");
  await transport.waitClosed();
  const error = await new Promise<Error | null | undefined>((resolve) =>
    connection.send(100, 0, 1, Buffer.alloc(0), resolve),
  );
  t.true(error instanceof Error);
});

test("nextSeq sets the top bit, counts from 1 and skips 0 when it wraps", (t) => {
  const { connection } = memoryConnection([]);
  t.is(connection.nextSeq(), 0x8000_0001);
  t.is(connection.nextSeq(), 0x8000_0002);
  (connection as unknown as { seq: number }).seq = 0x7fff_ffff;
  t.is(connection.nextSeq(), 0x8000_0001, "wraps past 0x7fffffff without ever producing a bare 0x80000000");
});

test("establish() sets the session and tells the lifecycle", (t) => {
  const { connection, lifecycle } = memoryConnection([]);
  connection.establish(SESSION);
  t.is(connection.session, SESSION);
  t.deepEqual(lifecycle.establishedWith, [SESSION]);
});

test("after installKeys every frame is sealed both ways and ENCRYPTED is hidden from handlers", async (t) => {
  const keys = trafficKeys();
  const { connection, receive, transport } = memoryConnection([new FlagsEchoHandler(), new HeartbeatHandler()]);
  connection.installKeys(keys);
  t.true(connection.encrypted);
  const client = new RecordCipher(keys.clientToServer);
  const fromServer = new RecordCipher(keys.serverToClient);
  receive(client.seal(151, FrameFlag.AUTO_ACK, 9, Buffer.from("hi")));
  const sealed = await transport.next();
  t.is(sealed.flags & FrameFlag.ENCRYPTED, FrameFlag.ENCRYPTED);
  t.is(sealed.seq, 9);
  t.is(fromServer.open(sealed).toString(), `${FrameFlag.AUTO_ACK}:hi`);
  receive([0xdf]);
  t.is((await transport.next()).cmd, Command.HEARTBEAT, "0xDF stays one clear byte");
});

test("after installKeys a plaintext frame destroys the connection", async (t) => {
  const { connection, send, transport, lifecycle } = memoryConnection([new FlagsEchoHandler()]);
  connection.installKeys(trafficKeys());
  send(151, 1, Buffer.from("clear"));
  await transport.waitClosed();
  t.true(transport.destroyed);
  t.is(transport.packets.length, 0);
  t.true(lifecycle.violations[0] instanceof RecordError);
});

test("after installKeys a replayed sealed frame destroys the connection", async (t) => {
  const keys = trafficKeys();
  const { connection, receive, transport } = memoryConnection([new FlagsEchoHandler()]);
  connection.installKeys(keys);
  const frame = new RecordCipher(keys.clientToServer).seal(151, 0, 1, Buffer.from("once"));
  receive(frame);
  await transport.next();
  receive(frame);
  await transport.waitClosed();
  t.true(transport.destroyed);
  t.is(transport.packets.length, 0);
});

test("a reply from an async handler is sealed once keys are installed", async (t) => {
  const keys = trafficKeys();
  const held = new HeldHandler();
  const { connection, receive, transport } = memoryConnection([held]);
  connection.installKeys(keys);
  receive(new RecordCipher(keys.clientToServer).seal(150, 0, 4, Buffer.alloc(0)));
  t.deepEqual(held.started, [4]);
  held.release();
  const sealed = await transport.next();
  t.is(sealed.cmd, Command.OK);
  t.is(sealed.flags, FrameFlag.ENCRYPTED);
  t.like(OkReply.decode(new RecordCipher(keys.serverToClient).open(sealed)), { data: "4" });
});

test("a connection the server destroys while a handler runs aborts its signal with the server's reason", async (t) => {
  const waiting = new SignalWaitingHandler();
  const { send, transport, connection } = memoryConnection([waiting]);
  send(152, 1);
  connection.destroy("no heartbeat within 3 intervals");
  await transport.waitClosed();
  t.is(waiting.reasons.length, 1);
  t.is((waiting.reasons[0] as Error).name, "ConnectionClosedError");
  t.is(
    (waiting.reasons[0] as Error).message,
    "connection closed while handling command 152: no heartbeat within 3 intervals",
  );
});
