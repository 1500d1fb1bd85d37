import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import test from "ava";
import { TcpTransport } from "../../../core/connection/tcp-transport.js";

async function acceptedPair(t: { teardown(fn: () => void): void }, host = "127.0.0.1") {
  const server = createServer();
  server.listen(0, host);
  await once(server, "listening");
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const client = connect(port, host);
  const [accepted] = (await once(server, "connection")) as [Socket];
  await once(client, "connect");
  return { client, accepted };
}

test("remoteAddress is the peer's address and port, asked for on demand and kept after close", async (t) => {
  const { client, accepted } = await acceptedPair(t);
  const transport = new TcpTransport(accepted);
  const expected = `127.0.0.1:${client.localPort}`;
  t.is(transport.remoteAddress, expected);
  client.destroy();
  accepted.destroy();
  await once(accepted, "close");
  t.is(transport.remoteAddress, expected);
});

test("remoteAddress of a socket closed before anyone asked is 'unknown', not 'undefined:undefined'", async (t) => {
  const { client, accepted } = await acceptedPair(t);
  const transport = new TcpTransport(accepted);
  client.destroy();
  accepted.destroy();
  await once(accepted, "close");
  t.is(transport.remoteAddress, "unknown");
});

test("an IPv6 peer's address is bracketed, so its port stays unambiguous", async (t) => {
  const { client, accepted } = await acceptedPair(t, "::1");
  t.teardown(() => client.destroy());
  t.is(new TcpTransport(accepted).remoteAddress, `[::1]:${client.localPort}`);
});
