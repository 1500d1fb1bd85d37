import "reflect-metadata";
import test from "ava";
import { ClientConnection } from "../../client/index.js";
import { startServer } from "../helpers/server.js";

test("close() resolves once the socket is closed, and again when called twice", async (t) => {
  const { port, close } = await startServer();
  t.teardown(close);
  const connection = await ClientConnection.open("127.0.0.1", port);
  const closed = connection.close();
  t.false(connection.isOpen);
  await closed;
  await connection.close();
  t.pass();
});
