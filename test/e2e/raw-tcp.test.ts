import "reflect-metadata";
import test from "ava";
import { Command, ErrorCode } from "../../core/index.js";
import { ErrorReply } from "../../core/protocol/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";

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
