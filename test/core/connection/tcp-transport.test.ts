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

test("onceDrained fires once the peer has read everything, even with less queued than Node's 16 KiB drain mark", async (t) => {
  const { client, accepted } = await acceptedPair(t);
  t.teardown(() => {
    client.destroy();
    accepted.destroy();
  });
  client.pause();
  const transport = new TcpTransport(accepted);
  // Fill the kernel's buffers until Node keeps bytes of its own, then stop well below the mark.
  const chunk = Buffer.alloc(512, 1);
  while (transport.bufferedBytes === 0) transport.write(chunk);
  transport.write(chunk);
  t.true(transport.bufferedBytes > 0 && transport.bufferedBytes < 16 * 1024, `${transport.bufferedBytes} queued`);
  t.false(accepted.writableNeedDrain);
  const drained = new Promise<void>((resolve) => transport.onceDrained(resolve));
  client.resume();
  client.on("data", () => {});
  const outcome = await Promise.race([
    drained.then(() => "drained"),
    new Promise((resolve) => setTimeout(resolve, 5000, "not drained after the peer read for 5 s")),
  ]);
  t.is(outcome, "drained");
  t.is(transport.bufferedBytes, 0);
});

test("onceDrained on a socket that is ending or gone never calls back: its close comes instead", async (t) => {
  const { client, accepted } = await acceptedPair(t);
  t.teardown(() => client.destroy());
  client.pause();
  const transport = new TcpTransport(accepted);
  const chunk = Buffer.alloc(512, 1);
  while (transport.bufferedBytes === 0) transport.write(chunk);
  accepted.end();
  let calls = 0;
  transport.onceDrained(() => calls++);
  accepted.destroy();
  transport.onceDrained(() => calls++);
  await once(accepted, "close");
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(calls, 0);
});

/** What a transport reported, in order. */
function recorder() {
  const seen: string[] = [];
  let closed: (reason: string) => void = () => {};
  const reason = new Promise<string>((resolve) => {
    closed = resolve;
  });
  return {
    seen,
    reason,
    events: {
      receive: (chunk: Buffer) => seen.push(`data ${chunk.toString()}`),
      transportClosed: (why: string) => {
        seen.push(`closed ${why}`);
        closed(why);
      },
    },
  };
}

test("each transport reports its own socket's bytes and close, through listeners all sockets share", async (t) => {
  const first = await acceptedPair(t);
  const second = await acceptedPair(t);
  const a = recorder();
  const b = recorder();
  new TcpTransport(first.accepted).attach(a.events);
  new TcpTransport(second.accepted).attach(b.events);
  t.is(first.accepted.listeners("data")[0], second.accepted.listeners("data")[0], "one listener for every socket");
  first.client.end("to a");
  second.client.end("to b");
  t.is(await a.reason, "peer closed");
  t.is(await b.reason, "peer closed");
  t.deepEqual(a.seen, ["data to a", "closed peer closed"]);
  t.deepEqual(b.seen, ["data to b", "closed peer closed"]);
});

test("a socket error is named in the close reason", async (t) => {
  const { client, accepted } = await acceptedPair(t);
  const r = recorder();
  new TcpTransport(accepted).attach(r.events);
  client.resetAndDestroy();
  t.regex(await r.reason, /^socket error: .*ECONNRESET/);
});
