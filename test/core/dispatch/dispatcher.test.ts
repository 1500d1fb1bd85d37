import "reflect-metadata";
import { setImmediate as setImmediateP } from "node:timers/promises";
import { deflateSync, inflateSync } from "node:zlib";
import test from "ava";
import { pino } from "pino";
import type { CommandHandler, HandlerContext } from "../../../core/dispatch/command-handler.js";
import { HandlerDeadline } from "../../../core/dispatch/handler-deadline.js";
import { Handles } from "../../../core/dispatch/handles.decorator.js";
import { ok, type Reply, reply } from "../../../core/dispatch/reply.js";
import { FrameTooLargeError, RecordError, ReservedFlagsError } from "../../../core/errors/frame-errors.js";
import { encodeFrame } from "../../../core/protocol/frame-encoder.js";
import {
  Command,
  ErrorCode,
  ErrorReply,
  encodeMessage,
  FrameFlag,
  OkReply,
  type Packet,
} from "../../../core/protocol/index.js";
import { ProtocolError } from "../../../core/protocol/protocol-error.js";
import { TimerWheel } from "../../../core/runtime/timer-wheel.js";
import type { SessionContext } from "../../../core/session/session-context.js";
import { HeartbeatHandler } from "../../../plugins/heartbeat/heartbeat.handler.js";
import { memoryConnection, type TestConfig } from "../../helpers/memory-transport.js";
import { deferred } from "../../helpers/wait.js";

const SESSION: SessionContext = {
  deviceId: "device-1",
  osName: "test",
  osVersion: "1",
  clientVersion: "1",
  heartbeatMs: 60_000,
  sessionId: "s1",
  expiresAt: Date.now() + 60_000,
  resumed: false,
};

/** cmd 100: decodes an OkReply and answers it upper-cased. */
@Handles(100, { request: OkReply, access: "public" })
class ShoutHandler implements CommandHandler<OkReply> {
  handle(request: OkReply): Reply {
    return reply(OkReply, { command: request.command, data: request.data.toUpperCase() });
  }
}

/** cmd 101: needs a session. */
@Handles(101)
class SessionOnlyHandler implements CommandHandler<Buffer> {
  handle(): Reply {
    return ok("in session");
  }
}

/** cmd 102: refuses with a ProtocolError; a body of "close" asks for a close. */
@Handles(102, { access: "public" })
class RefusingHandler implements CommandHandler<Buffer> {
  handle(body: Buffer): Reply {
    throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, "field x is wrong", { close: body.toString() === "close" });
  }
}

/** cmd 109: refuses with the ProtocolError its JSON body describes: { code, close }. */
@Handles(109, { access: "public" })
class CodedRefusalHandler implements CommandHandler<Buffer> {
  handle(body: Buffer): Reply {
    const { code, close } = JSON.parse(body.toString()) as { code: number; close?: boolean };
    throw new ProtocolError(code, "refused", { close });
  }
}

/** cmd 103: a bug; a body of "async" fails asynchronously. */
@Handles(103, { access: "public" })
class CrashingHandler implements CommandHandler<Buffer> {
  handle(body: Buffer): Reply | Promise<Reply> {
    if (body.toString() === "async") return Promise.reject(new Error("secret internal detail"));
    throw new Error("secret internal detail");
  }
}

/** cmd 104: echoes the body it was given and reports its context. */
@Handles(104, { access: "public" })
class RawEchoHandler implements CommandHandler<Buffer> {
  readonly contexts: HandlerContext[] = [];
  handle(body: Buffer, context: HandlerContext): Reply {
    this.contexts.push(context);
    return { kind: "message", body: Buffer.from(body) };
  }
}

/** cmd 105: waits for the test to release it; records start and end. */
@Handles(105, { access: "public" })
class GatedHandler implements CommandHandler<Buffer> {
  readonly events: string[] = [];
  readonly gates = new Map<string, { resolve: () => void }>();
  async handle(body: Buffer): Promise<Reply> {
    const name = body.toString();
    this.events.push(`start ${name}`);
    const gate = deferred<void>();
    this.gates.set(name, gate);
    await gate.promise;
    this.events.push(`end ${name}`);
    return ok(name);
  }
}

/** cmd 106: answers nothing. */
@Handles(106, { access: "public" })
class SilentHandler implements CommandHandler<Buffer> {
  handle(): undefined {
    return undefined;
  }
}

/** cmd 107: a reply of `n` bytes, n from the body. */
@Handles(107, { access: "public" })
class BigReplyHandler implements CommandHandler<Buffer> {
  handle(body: Buffer): Reply {
    return { kind: "message", body: Buffer.alloc(Number(body.toString()), "a") };
  }
}

/** Not Replies, by the request body: a plugin's bugs. */
const NOT_REPLIES: Record<string, unknown> = {
  null: null,
  "text body": { kind: "message", body: "str" },
  "number data": { kind: "ok", data: 5 },
  "cmd 300": { kind: "message", body: Buffer.from("x"), cmd: 300 },
  "encrypted flag": { kind: "message", body: Buffer.from("x"), flags: FrameFlag.ENCRYPTED },
  "empty establish": { kind: "message", body: Buffer.from("x"), establish: {} },
};

/** cmd 108: returns what NOT_REPLIES holds for its body. */
@Handles(108, { access: "public" })
class NullHandler implements CommandHandler<Buffer> {
  handle(request: Buffer): Reply {
    return NOT_REPLIES[request.toString()] as Reply;
  }
}

/** cmd 112: public, but answers with the session's device: requireSession() refuses when there is none. */
@Handles(112, { access: "public" })
class WhoAmIHandler implements CommandHandler<Buffer> {
  handle(_body: Buffer, context: HandlerContext): Reply {
    return ok(context.requireSession().deviceId);
  }
}

function setup(config: Partial<TestConfig> = {}, deadline?: HandlerDeadline) {
  const raw = new RawEchoHandler();
  const gated = new GatedHandler();
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: "error" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const m = memoryConnection(
    [
      new HeartbeatHandler(),
      new ShoutHandler(),
      new SessionOnlyHandler(),
      new RefusingHandler(),
      new CrashingHandler(),
      raw,
      gated,
      new SilentHandler(),
      new BigReplyHandler(),
      new NullHandler(),
      new CodedRefusalHandler(),
      new WhoAmIHandler(),
    ],
    { config, log, deadline },
  );
  return { ...m, raw, gated, logs };
}

function errorOf(packet: Packet): ErrorReply {
  if (packet.cmd !== Command.ERROR) throw new Error(`expected ERROR, got cmd ${packet.cmd}`);
  return ErrorReply.decode(packet.body);
}

const shout = (data: string) => encodeMessage(OkReply, { command: 100, data });

test("an unknown command gets ERROR(UNSUPPORTED_CMD) with its seq, and the connection stays open", async (t) => {
  const { send, receive, transport, connection } = setup();
  send(99, 7);
  const error = await transport.next();
  t.is(error.seq, 7);
  t.like(errorOf(error), { command: 99, code: ErrorCode.UNSUPPORTED_CMD });
  receive([0xdf]);
  t.is((await transport.next()).cmd, Command.HEARTBEAT);
  t.true(connection.isOpen);
  t.false(transport.ended);
});

test('with unknownCommand "close" the ERROR is sent, then the connection closes', async (t) => {
  const { send, receive, transport, lifecycle } = setup({ unknownCommand: "close" });
  send(99, 8);
  receive([0xdf]);
  await transport.waitClosed();
  t.true(transport.ended, "closed gracefully (flushed), not destroyed");
  t.false(transport.destroyed);
  t.is(transport.packets.length, 1, "the heartbeat after it is not answered");
  const error = transport.packets[0] as Packet;
  t.is(error.seq, 8);
  t.like(errorOf(error), { command: 99, code: ErrorCode.UNSUPPORTED_CMD });
  t.regex(lifecycle.closedWith[0] ?? "", /ERROR 101 for command 99/);
});

test('with unknownCommand "close", requests that came in the same read as the unknown one are not served', async (t) => {
  const { receive, transport, raw } = setup({ unknownCommand: "close" });
  receive(
    Buffer.concat([
      encodeFrame(99, 0, 8, Buffer.alloc(0)),
      encodeFrame(104, 0, 9, Buffer.from("after")),
      Buffer.from([0xdf]),
    ]),
  );
  await transport.waitClosed();
  t.is(raw.contexts.length, 0, "the handler of the request after it never ran");
  t.is(transport.packets.length, 1, "only the ERROR");
  t.is(transport.packets[0]?.seq, 8);
  t.is(transport.packets[0]?.cmd, Command.ERROR);
});

for (const { cmd, how, data } of [
  { cmd: 101, how: "a session command", data: "in session" },
  { cmd: 112, how: "requireSession() in a public command", data: SESSION.deviceId },
]) {
  test(`${how}: SESSION_REQUIRED before a session, served with one`, async (t) => {
    const { send, transport, connection } = setup();
    send(cmd, 3);
    const error = await transport.next();
    t.is(error.seq, 3);
    t.like(errorOf(error), { command: cmd, code: ErrorCode.SESSION_REQUIRED });
    t.true(connection.isOpen);
    connection.session = SESSION;
    send(cmd, 4);
    const answer = await transport.next();
    t.is(answer.cmd, Command.OK);
    t.is(answer.seq, 4);
    t.like(OkReply.decode(answer.body), { command: cmd, data });
  });
}

test("without a session, the maxErrorsBeforeSession-th ERROR closes the connection, and packets read with it are not served", async (t) => {
  const { send, transport, connection } = setup({ maxErrorsBeforeSession: 3 });
  for (let seq = 1; seq <= 5; seq++) send(102, seq);
  await transport.waitClosed();
  t.deepEqual(
    transport.packets.map((p) => [p.seq, errorOf(p).code]),
    [
      [1, ErrorCode.INVALID_ARGUMENT],
      [2, ErrorCode.INVALID_ARGUMENT],
      [3, ErrorCode.INVALID_ARGUMENT],
    ],
  );
  t.false(connection.isOpen);
});

test("ERRORs of any kind count before a session, none after it, and 0 means no limit", async (t) => {
  const counted = setup({ maxErrorsBeforeSession: 3 });
  counted.send(250, 1); // unknown command
  counted.send(101, 2); // SESSION_REQUIRED
  counted.send(103, 3); // DISPATCH_ERROR
  await counted.transport.waitClosed();
  t.is(counted.transport.packets.length, 3);

  const established = setup({ maxErrorsBeforeSession: 3 });
  established.connection.session = SESSION;
  for (let seq = 1; seq <= 6; seq++) established.send(102, seq);
  for (let seq = 1; seq <= 6; seq++) t.is((await established.transport.next()).seq, seq);
  t.true(established.connection.isOpen);

  const unlimited = setup({ maxErrorsBeforeSession: 0 });
  for (let seq = 1; seq <= 10; seq++) unlimited.send(102, seq);
  for (let seq = 1; seq <= 10; seq++) t.is((await unlimited.transport.next()).seq, seq);
  t.true(unlimited.connection.isOpen);
});

test("a body that does not decode gets MALFORMED_BODY and the connection stays open", async (t) => {
  const { send, transport, connection } = setup();
  send(100, 5, Buffer.from([0xff, 0xff, 0xff]));
  const error = await transport.next();
  t.is(error.seq, 5);
  t.like(errorOf(error), { command: 100, code: ErrorCode.MALFORMED_BODY });
  send(100, 6, shout("still here"));
  t.is(OkReply.decode((await transport.next()).body).data, "STILL HERE");
  t.true(connection.isOpen);
});

test("a ProtocolError becomes ERROR(its code, its reason)", async (t) => {
  const { send, transport, connection } = setup();
  send(102, 11);
  const error = await transport.next();
  t.is(error.seq, 11);
  t.deepEqual(errorOf(error), { command: 102, code: ErrorCode.INVALID_ARGUMENT, reason: "field x is wrong" });
  t.true(connection.isOpen);
});

test("a ProtocolError's code is sent when it is a core code or a plugin code (1000 up to int32)", async (t) => {
  for (const code of [ErrorCode.INVALID_ARGUMENT, ErrorCode.SESSION_EXPIRED, 1000, 0x7fff_ffff]) {
    const { send, transport, logs } = setup();
    send(109, 5, Buffer.from(JSON.stringify({ code })));
    t.is(errorOf(await transport.next()).code, code);
    t.is(logs.length, 0);
  }
});

test("a ProtocolError with a code the core does not define, a push API code, 0, or past int32 is the handler's bug: DISPATCH_ERROR, logged", async (t) => {
  for (const code of [500, 999, ErrorCode.OFFLINE, ErrorCode.ACK_TIMEOUT, 0, -3, 1.5, 2 ** 31]) {
    const { send, transport, connection, logs } = setup();
    send(109, 6, Buffer.from(JSON.stringify({ code })));
    const reply = errorOf(await transport.next());
    t.deepEqual(
      { code: reply.code, reason: reply.reason },
      { code: ErrorCode.DISPATCH_ERROR, reason: "internal error while handling the command" },
      String(code),
    );
    t.true(connection.isOpen);
    t.is(logs.length, 1);
    t.regex(
      String((logs[0]?.err as { message?: string } | undefined)?.message),
      new RegExp(`CodedRefusalHandler threw a ProtocolError with code ${code}`),
    );
  }
  // A close the handler asked for still happens.
  const { send, transport } = setup();
  send(109, 7, Buffer.from(JSON.stringify({ code: 500, close: true })));
  await transport.waitClosed();
  t.is(errorOf(transport.packets[0] as Packet).code, ErrorCode.DISPATCH_ERROR);
});

test("a ProtocolError with close: true closes after the ERROR", async (t) => {
  const { send, transport } = setup();
  send(102, 12, Buffer.from("close"));
  await transport.waitClosed();
  t.true(transport.ended);
  t.is(transport.packets.length, 1);
  t.is(errorOf(transport.packets[0] as Packet).code, ErrorCode.INVALID_ARGUMENT);
});

for (const mode of ["sync", "async"]) {
  test(`a plain exception (${mode}) gives DISPATCH_ERROR, is logged, and the next packet is served`, async (t) => {
    const { send, transport, connection, logs } = setup();
    send(103, 13, Buffer.from(mode));
    const error = await transport.next();
    t.is(error.seq, 13);
    const body = errorOf(error);
    t.is(body.code, ErrorCode.DISPATCH_ERROR);
    t.is(body.command as number, 103);
    t.notRegex(body.reason, /secret/, "the exception's message stays on the server");
    t.is(logs.length, 1);
    t.like(logs[0], { connection: connection.id, cmd: 103, handler: "CrashingHandler" });
    t.regex(JSON.stringify(logs[0]), /secret internal detail/);
    send(100, 14, shout("next"));
    const next = await transport.next();
    t.is(next.seq, 14);
    t.is(OkReply.decode(next.body).data, "NEXT");
  });
}

test("a compressed body (flag 0x02) is inflated before decoding", async (t) => {
  const { send, transport } = setup();
  send(100, 15, deflateSync(shout("packed")), FrameFlag.COMPRESSED);
  const answer = await transport.next();
  t.is(answer.seq, 15);
  t.is(OkReply.decode(answer.body).data, "PACKED");
});

test("a raw handler sees the inflated body and flags without COMPRESSED", async (t) => {
  const { send, transport, raw } = setup();
  send(104, 16, deflateSync(Buffer.from("inflated body")), FrameFlag.COMPRESSED | FrameFlag.BIZ_ACK);
  t.is((await transport.next()).body.toString(), "inflated body");
  t.is(raw.contexts[0]?.flags, FrameFlag.BIZ_ACK);
  t.is(raw.contexts[0]?.seq, 16);
  t.is(raw.contexts[0]?.cmd, 104);
});

test("a compression bomb gets MALFORMED_BODY and the handler never runs", async (t) => {
  const { send, transport, raw, connection } = setup({ maxBodyBytes: 64 * 1024 });
  const bomb = deflateSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  t.true(bomb.length < 64 * 1024);
  send(104, 17, bomb, FrameFlag.COMPRESSED);
  const error = errorOf(await transport.next());
  t.is(error.code, ErrorCode.MALFORMED_BODY);
  t.regex(error.reason, /exceeds/);
  t.is(raw.contexts.length, 0);
  t.true(connection.isOpen);
});

test("a compressed body that is not zlib gets MALFORMED_BODY", async (t) => {
  const { send, transport } = setup();
  send(104, 18, Buffer.from("not zlib at all"), FrameFlag.COMPRESSED);
  t.is(errorOf(await transport.next()).code, ErrorCode.MALFORMED_BODY);
});

test("a zlib stream followed by more bytes gets MALFORMED_BODY, the handler never runs, and the connection stays open", async (t) => {
  const { send, transport, raw, connection } = setup();
  const stream = deflateSync(Buffer.from("inflated body"));
  send(104, 19, Buffer.concat([stream, stream]), FrameFlag.COMPRESSED);
  const error = errorOf(await transport.next());
  t.is(error.code, ErrorCode.MALFORMED_BODY);
  t.regex(error.reason, /after the end of its zlib stream/);
  t.is(raw.contexts.length, 0);
  t.true(connection.isOpen);
});

test("async handlers keep per-connection order: the next packet waits for the previous reply", async (t) => {
  const { receive, transport, gated, raw } = setup();
  receive(
    Buffer.concat([
      encodeFrame(105, 0, 1, Buffer.from("a")),
      encodeFrame(104, 0, 2, Buffer.from("sync")),
      encodeFrame(105, 0, 3, Buffer.from("b")),
      Buffer.from([0xdf]),
    ]),
  );
  t.deepEqual(gated.events, ["start a"]);
  t.is(raw.contexts.length, 0, "the second packet has not been dispatched");
  t.is(transport.packets.length, 0);
  gated.gates.get("a")?.resolve();
  await transport.next().then((p) => t.is(p.seq, 1));
  await transport.next().then((p) => t.is(p.seq, 2));
  t.deepEqual(gated.events, ["start a", "end a", "start b"]);
  gated.gates.get("b")?.resolve();
  await transport.next().then((p) => t.is(p.seq, 3));
  t.is((await transport.next()).cmd, Command.HEARTBEAT);
});

test("an OK reply carries OkReply{command, data} and the request's seq", async (t) => {
  const { connection, send, transport } = setup();
  connection.session = SESSION;
  send(101, 0xfffffffe);
  const answer = await transport.next();
  t.is(answer.cmd, Command.OK);
  t.is(answer.seq, 0xfffffffe);
  t.is(answer.flags, 0);
});

test("a handler that returns nothing sends nothing", async (t) => {
  const { send, transport } = setup();
  send(106, 1);
  send(100, 2, shout("after"));
  const next = await transport.next();
  t.is(next.seq, 2);
  t.is(transport.packets.length, 0);
});

test("a reply above the compression threshold is deflated and flagged; at it, it is not", async (t) => {
  const { send, transport } = setup({ compressThresholdBytes: 1000 });
  send(107, 1, Buffer.from("5000"));
  const big = await transport.next();
  t.is(big.flags & FrameFlag.COMPRESSED, FrameFlag.COMPRESSED);
  t.true(big.body.length < 5000);
  t.true(inflateSync(big.body).equals(Buffer.alloc(5000, "a")));
  send(107, 2, Buffer.from("1000"));
  const small = await transport.next();
  t.is(small.flags, 0);
  t.is(small.body.length, 1000);
});

test("compression threshold 0 never compresses", async (t) => {
  const { send, transport } = setup({ compressThresholdBytes: 0 });
  send(107, 1, Buffer.from("50000"));
  const reply = await transport.next();
  t.is(reply.flags, 0);
  t.is(reply.body.length, 50000);
});

test("a sealed (0x01) frame before any keys closes the connection without a reply", async (t) => {
  const { send, transport, lifecycle, raw } = setup();
  send(104, 1, Buffer.alloc(32), FrameFlag.ENCRYPTED);
  await transport.waitClosed();
  t.true(transport.destroyed);
  t.is(transport.packets.length, 0);
  t.is(raw.contexts.length, 0);
  t.true(lifecycle.violations[0] instanceof RecordError);
});

test("a frame with reserved flags, or too large, destroys the connection", async (t) => {
  for (const [frame, type] of [
    [Buffer.from([0, 0, 0, 0, 104, 0, 0, 0x20, 0, 0, 0, 1, 0]), ReservedFlagsError],
    [Buffer.from([0x40, 0, 0, 0]), FrameTooLargeError],
  ] as const) {
    const { receive, transport, lifecycle } = setup();
    receive(frame);
    await transport.waitClosed();
    t.true(transport.destroyed);
    t.true(lifecycle.violations[0] instanceof type);
    t.regex(lifecycle.closedWith[0] ?? "", new RegExp(type.name));
  }
});

test("packets already decoded from a chunk are served before a later frame error in it", async (t) => {
  const { receive, transport } = setup();
  receive(Buffer.concat([encodeFrame(104, 0, 1, Buffer.from("first")), Buffer.from([0x7f, 0, 0, 0])]));
  await transport.waitClosed();
  t.is(transport.packets[0]?.body.toString(), "first");
});

test("a handler that returns something other than a Reply gets DISPATCH_ERROR, logged, and the connection stays open", async (t) => {
  const expected: Record<string, RegExp> = {
    null: /NullHandler returned null, not a Reply/,
    "text body": /returned a message Reply whose body is not bytes/,
    "number data": /returned an ok Reply whose data is not a string/,
    "cmd 300": /returned a message Reply with cmd 300, not 1-254/,
    "encrypted flag": /returned a message Reply with flags 1, not BIZ_ACK\/AUTO_ACK bits/,
    "empty establish": /returned a message Reply whose establish is not \{ session, secrets: \{ traffic \} \}/,
  };
  for (const [body, message] of Object.entries(expected)) {
    // A server of its own each: the log of one handler's failures is throttled.
    const { send, transport, connection, logs } = setup();
    send(108, 4, Buffer.from(body));
    const reply = await transport.next();
    t.is(reply.seq, 4);
    t.is(errorOf(reply).code, ErrorCode.DISPATCH_ERROR, body);
    t.true(connection.isOpen, body);
    t.is(logs.length, 1);
    t.regex(String((logs[0]?.err as { message?: string } | undefined)?.message), message);
  }
});

test("a handler failing on every request is logged once per interval with the rest counted, and another handler's failure still is", async (t) => {
  const { send, transport, logs } = setup({ maxErrorsBeforeSession: 0 });
  for (let seq = 1; seq <= 20; seq++) {
    send(108, seq, Buffer.from("null"));
    t.is(errorOf(await transport.next()).code, ErrorCode.DISPATCH_ERROR);
  }
  t.is(logs.length, 1);
  t.is(logs[0]?.handler, "NullHandler");
  send(103, 21);
  t.is(errorOf(await transport.next()).code, ErrorCode.DISPATCH_ERROR);
  t.is(logs.length, 2);
  t.is(logs[1]?.handler, "CrashingHandler");
});

/** cmd 109: like GatedHandler, but it bounds its own waits. */
@Handles(109, { access: "public", boundsItself: true })
class SelfBoundedHandler implements CommandHandler<Buffer> {
  readonly gate = deferred<void>();
  async handle(): Promise<Reply> {
    await this.gate.promise;
    return ok("in its own time");
  }
}

test("a handler that bounds itself is not cut short by the server's deadline", async (t) => {
  const clock = manualDeadline(1000);
  const handler = new SelfBoundedHandler();
  const m = memoryConnection([handler], { deadline: clock.deadline });
  m.send(109, 1);
  await setImmediateP();
  t.is(clock.wheel.scheduled, 0, "no deadline was set");
  clock.advanceTo(5000);
  await setImmediateP();
  t.is(m.transport.packets.length, 0);
  handler.gate.resolve();
  const answer = await m.transport.next();
  t.is(answer.cmd, Command.OK);
  t.is(OkReply.decode(answer.body).data, "in its own time");
});

/** A deadline on a wheel of 100 ms ticks that the test turns by hand. */
function manualDeadline(timeoutMs: number) {
  let now = 0;
  const wheel = new TimerWheel(100, () => now);
  return {
    wheel,
    deadline: new HandlerDeadline(wheel, timeoutMs, () => now),
    advanceTo(ms: number) {
      now = ms;
      wheel.advance(ms);
    },
  };
}

test("a handler past its deadline is answered DISPATCH_ERROR, logged, and the connection's next packet is served", async (t) => {
  const clock = manualDeadline(1000);
  const { send, transport, connection, gated, logs } = setup({}, clock.deadline);
  send(105, 1, Buffer.from("slow"));
  send(100, 2, shout("next"));
  await setImmediateP();
  t.is(transport.packets.length, 0);
  clock.advanceTo(900);
  await setImmediateP();
  t.is(transport.packets.length, 0, "not before the deadline");
  clock.advanceTo(1100);
  const timedOut = await transport.next();
  t.is(timedOut.seq, 1);
  t.is(errorOf(timedOut).code, ErrorCode.DISPATCH_ERROR);
  t.is((logs[0]?.err as { type?: string } | undefined)?.type, "HandlerTimeoutError");
  const next = await transport.next();
  t.is(next.seq, 2);
  t.is(OkReply.decode(next.body).data, "NEXT");
  // The handler settles at last: its reply is dropped, nothing else is sent for seq 1.
  gated.gates.get("slow")?.resolve();
  await setImmediateP();
  await setImmediateP();
  t.true(gated.events.includes("end slow"));
  t.is(transport.packets.length, 0, "nothing after the two answers");
  t.true(connection.isOpen);
  t.is(clock.wheel.scheduled, 0);
});

test("a handler that settles in time gets its reply, and its deadline leaves the wheel", async (t) => {
  const clock = manualDeadline(1000);
  const { send, transport, gated } = setup({}, clock.deadline);
  send(105, 1, Buffer.from("quick"));
  await setImmediateP();
  t.is(clock.wheel.scheduled, 1);
  gated.gates.get("quick")?.resolve();
  const answer = await transport.next();
  t.is(answer.cmd, Command.OK);
  t.is(clock.wheel.scheduled, 0);
  clock.advanceTo(5000);
  await setImmediateP();
  t.is(transport.packets.length, 0, "no ERROR after the reply");
});

/** cmd 110: fails, once the test lets it, with the reason in its body. */
@Handles(110, { access: "public" })
class LateFailingHandler implements CommandHandler<Buffer> {
  readonly gate = deferred<void>();
  async handle(body: Buffer): Promise<Reply> {
    await this.gate.promise;
    throw new Error(body.toString());
  }
}

test("what a handler settles with after its deadline is dropped, and told at debug level, its error included", async (t) => {
  const clock = manualDeadline(1000);
  const gated = new GatedHandler();
  const failing = new LateFailingHandler();
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const { send, transport } = memoryConnection([gated, failing], { log, deadline: clock.deadline });
  send(105, 1, Buffer.from("slow"));
  await setImmediateP();
  clock.advanceTo(1100);
  t.is(errorOf(await transport.next()).code, ErrorCode.DISPATCH_ERROR);
  gated.gates.get("slow")?.resolve();
  send(110, 2, Buffer.from("too late to matter"));
  await setImmediateP();
  clock.advanceTo(2200);
  t.is(errorOf(await transport.next()).code, ErrorCode.DISPATCH_ERROR);
  failing.gate.resolve();
  await setImmediateP();
  await setImmediateP();
  const late = logs.filter((line) => /settled after its deadline/.test(String(line.msg)));
  t.deepEqual(
    late.map((line) => line.handler),
    ["GatedHandler", "LateFailingHandler"],
  );
  t.is(late[0]?.level, 20);
  t.is(late[0]?.err, undefined);
  t.is((late[1]?.err as { message?: string } | undefined)?.message, "too late to matter");
  t.is(transport.packets.length, 0, "nothing was sent for either late outcome");
});

/** cmd 111: keeps each request's context, then answers OK, or fails when its body is "fail". */
@Handles(111, { access: "public" })
class SettlingHandler implements CommandHandler<Buffer> {
  readonly contexts: HandlerContext[] = [];
  async handle(body: Buffer, context: HandlerContext): Promise<Reply> {
    this.contexts.push(context);
    await setImmediateP();
    if (body.toString() === "fail") throw new Error("failed on purpose");
    return ok("settled");
  }
}

test("a connection that goes away after its handler settled leaves that request's signal alone", async (t) => {
  for (const [body, cmd] of [
    ["answer", Command.OK],
    ["fail", Command.ERROR],
  ] as const) {
    const handler = new SettlingHandler();
    const { send, transport, connection } = memoryConnection([handler]);
    send(111, 1, Buffer.from(body));
    t.is((await transport.next()).cmd, cmd, body);
    t.is(connection.inFlight, undefined, body);
    transport.destroy();
    await transport.waitClosed();
    t.false(handler.contexts[0]?.signal.aborted, body);
  }
});
