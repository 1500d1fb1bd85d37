import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { Command, ErrorCode } from "../../core/index.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import { ErrorReply } from "../../core/protocol/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import { eventually } from "../helpers/wait.js";

test("0xDF is echoed; an unknown command gets ERROR(UNSUPPORTED_CMD) with its seq and the connection stays open", async (t) => {
  const { port, close } = await startServer();
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());

  client.write([0xdf]);
  t.is((await client.next()).cmd, Command.HEARTBEAT);

  client.writeFrame(99, 7);
  const error = await client.next();
  t.is(error.cmd, Command.ERROR);
  t.is(error.seq, 7);
  const body = ErrorReply.decode(error.body);
  t.is(body.command as number, 99);
  t.is(body.code, ErrorCode.UNSUPPORTED_CMD);

  client.write([0xdf]);
  t.is((await client.next()).cmd, Command.HEARTBEAT);
  t.false(client.closed);
});

test("the ERROR body, read at the wire: field 1 (command) = 99, field 2 (code) = 101", async (t) => {
  const { port, close } = await startServer();
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());

  client.writeFrame(99, 7);
  const error = await client.next();
  t.is(error.cmd, 10);
  t.is(error.seq, 7);
  t.is(error.flags, 0, "ERROR goes out in clear and uncompressed");
  // Protobuf: tag 0x08 = field 1 varint, tag 0x10 = field 2 varint, then field 3 (reason, a string).
  t.deepEqual([...error.body.subarray(0, 4)], [0x08, 99, 0x10, 101]);
  t.is(error.body[4], 0x1a);

  client.write([0xdf]);
  const echo = await client.next();
  t.is(echo.cmd, Command.HEARTBEAT);
  t.false(client.closed);
});

test("0xDF bytes coalesced with a frame are each echoed, in order with the reply", async (t) => {
  const { port, close } = await startServer();
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.write(Buffer.concat([Buffer.from([0xdf, 0xdf]), encodeFrame(99, 0, 3, Buffer.alloc(0)), Buffer.from([0xdf])]));
  const cmds: number[] = [];
  for (let i = 0; i < 4; i++) cmds.push((await client.next()).cmd);
  t.deepEqual(cmds, [Command.HEARTBEAT, Command.HEARTBEAT, Command.ERROR, Command.HEARTBEAT]);
});

test('with unknownCommand "close", cmd 99 gets its ERROR and then the connection closes', async (t) => {
  const { port, close } = await startServer({ unknownCommand: "close" });
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.writeFrame(99, 4);
  const error = await client.next();
  t.is(error.seq, 4);
  t.is(ErrorReply.decode(error.body).code, ErrorCode.UNSUPPORTED_CMD);
  await client.waitClosed();
});

test("protocol violations close each connection, and are logged once per second with the rest counted", async (t) => {
  const logs: { msg: string; suppressed?: number; reason?: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const { port, close } = await startServer({}, [], { logger });
  t.teardown(close);
  const violators = await Promise.all(Array.from({ length: 5 }, () => RawClient.open(port)));
  for (const client of violators) client.write(encodeFrame(Command.HEARTBEAT, 0x40, 1, Buffer.alloc(0)));
  await Promise.all(violators.map((client) => client.waitClosed()));
  const lines = () => logs.filter((l) => l.msg === "protocol violation; closing");
  t.is(lines().length, 1);
  t.is(lines()[0]?.reason, "frame sets reserved flag bits 0x40");
  await eventually(() => (lines().length === 2 ? true : undefined), 3000);
  t.is(lines()[1]?.suppressed, 4);
});
