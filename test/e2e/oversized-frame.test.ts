import "reflect-metadata";
import test from "ava";
import { Command } from "../../core/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";

const ONE_GIB_HEADER = [0x40, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 1, 0];

test("a header announcing a 1 GiB body closes that connection at once; new connections are served", async (t) => {
  const { port, server, close } = await startServer();
  t.teardown(close);
  const bystander = await RawClient.open(port);
  t.teardown(() => bystander.close());

  const attacker = await RawClient.open(port);
  t.teardown(() => attacker.close());
  attacker.write(ONE_GIB_HEADER);
  await attacker.waitClosed();
  t.is(attacker.packets.length, 0, "no reply: framing is lost");

  bystander.write([0xdf]);
  t.is((await bystander.next()).cmd, Command.HEARTBEAT, "other connections are untouched");
  const fresh = await RawClient.open(port);
  t.teardown(() => fresh.close());
  fresh.write([0xdf]);
  t.is((await fresh.next()).cmd, Command.HEARTBEAT);
  t.is(server.connections.size, 2);
});

test("only the 4 length bytes are needed to refuse the frame", async (t) => {
  const { port, close } = await startServer({ maxBodyBytes: 1024 });
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.write([0, 0, 0x04, 0x01]);
  await client.waitClosed();
  t.true(client.closed);
});

test("a body of exactly maxBodyBytes is accepted", async (t) => {
  const { port, close } = await startServer({ maxBodyBytes: 1024 });
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.writeFrame(99, 3, Buffer.alloc(1024));
  const reply = await client.next();
  t.is(reply.cmd, Command.ERROR, "framed fine; the command is simply unknown");
  t.is(reply.seq, 3);
});

test("reserved flag bits close the connection", async (t) => {
  const { port, close } = await startServer();
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.writeFrame(99, 1, Buffer.alloc(0), 0x40);
  await client.waitClosed();
  t.is(client.packets.length, 0);
});

test("a sealed frame before any handshake closes the connection", async (t) => {
  const { port, close } = await startServer();
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.writeFrame(Command.HANDSHAKE, 1, Buffer.alloc(32), 0x01);
  await client.waitClosed();
  t.is(client.packets.length, 0);
});
