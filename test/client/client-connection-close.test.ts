import "reflect-metadata";
import test from "ava";
import { ClientConnection } from "../../client/index.js";
import { Command } from "../../core/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import { eventually } from "../helpers/wait.js";

test("close() resolves once the socket is closed, and again when called twice", async (t) => {
  const { port, close } = await startServer();
  t.teardown(close);
  const connection = await ClientConnection.open("127.0.0.1", port);
  const closed = connection.close();
  t.false(connection.isOpen);
  t.true(await closed, "the server closed its side too");
  t.true(await connection.close());
});

test("a request after the server closed the connection (at maxConnections) says so, and arms no timer", async (t) => {
  const { port, close } = await startServer({ maxConnections: 1 });
  t.teardown(close);
  const held = await RawClient.open(port);
  t.teardown(() => held.close());
  const refused = await ClientConnection.open("127.0.0.1", port);
  await eventually(() => (refused.isOpen ? undefined : true));
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  const request = refused.request(Command.HEARTBEAT, Buffer.alloc(0));
  t.is(timers(), before);
  await t.throwsAsync(request, { message: "connection is closed: the server closed the connection" });
});
