import "reflect-metadata";
import test from "ava";
import { type ConnectOutcome, MemorySessionStorage, MPushClient } from "../../client/index.js";
import { OkReply } from "../../core/protocol/index.js";
import { ECHO, withEcho } from "../helpers/echo-plugin.js";
import { reservedPort } from "../helpers/ports.js";
import { RedisServer } from "../helpers/redis.js";
import { clientOf } from "../helpers/sdk-client.js";
import { startServer, tempKeyFile } from "../helpers/server.js";
import { DEVICE } from "../helpers/session-peer.js";
import { eventually, sleep } from "../helpers/wait.js";

const FAST = { baseMs: 50, factor: 1.5, maxMs: 300, jitter: 0.2 };

function collect(client: MPushClient) {
  const established: ConnectOutcome[] = [];
  const disconnected: string[] = [];
  client.on("established", (o: ConnectOutcome) => established.push(o));
  client.on("disconnected", (r: string) => disconnected.push(r));
  client.on("error", () => {});
  return { established, disconnected };
}

test("start() reconnects after the server restarts and resumes with FAST_CONNECT when the store survived", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  // The key outlives the first server (startServer deletes a key it created itself when it closes).
  const keyFile = tempKeyFile();
  // A reserved port: while no server listens, another test file's listen(0) could take an ephemeral one.
  const port = await reservedPort();
  const first = await startServer({ port, keyFile, session: { store: redis.url } }, withEcho);
  const storage = new MemorySessionStorage();
  const client = clientOf({ port, keyFile }, { storage, backoff: FAST });
  t.teardown(() => client.close());
  const events = collect(client);
  client.start();
  await eventually(() => (events.established.length === 1 ? true : undefined));
  t.is(events.established[0]?.outcome, "handshake");
  const firstId = events.established[0]?.sessionId;

  await first.close();
  await eventually(() => (events.disconnected.length === 1 ? true : undefined));
  t.false(client.isConnected);
  await sleep(400); // a few refused attempts while nothing listens

  const second = await startServer({ port, keyFile, session: { store: redis.url } }, withEcho);
  t.teardown(second.close);
  await eventually(() => (events.established.length === 2 ? true : undefined), 5000);
  const resumed = events.established[1];
  t.is(resumed?.outcome, "fast_connect");
  t.is(resumed?.fastConnectError, undefined);
  t.not(resumed?.sessionId, firstId);
  t.is((await storage.load())?.sessionId, resumed?.sessionId);
  t.true(client.isConnected);
  const reply = await client.request(ECHO, Buffer.from("back"));
  t.is(OkReply.decode(reply.body).data, `${resumed?.sessionId}|true|back`);
});

test("when the store did not survive the restart, the client is told SESSION_EXPIRED and handshakes", async (t) => {
  const keyFile = tempKeyFile();
  const port = await reservedPort();
  const first = await startServer({ port, keyFile }, withEcho);
  const client = clientOf({ port, keyFile }, { backoff: FAST });
  t.teardown(() => client.close());
  const events = collect(client);
  client.start();
  await eventually(() => (events.established.length === 1 ? true : undefined));
  await first.close();
  const second = await startServer({ port, keyFile }, withEcho); // a fresh in-memory store
  t.teardown(second.close);
  await eventually(() => (events.established.length === 2 ? true : undefined), 5000);
  t.is(events.established[1]?.outcome, "handshake");
  t.is(events.established[1]?.fastConnectError, "SESSION_EXPIRED");
});

test("close() while start() is still connecting leaves no connection behind", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const client = clientOf(server, { backoff: FAST });
  const events = collect(client);
  client.start();
  await client.close();
  await sleep(300);
  t.false(client.isConnected);
  t.is(events.established.length, 0);
  t.is(server.server.connections.size, 0);
});

test("close() while connect() is in flight rejects it and leaves no connection behind", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const client = clientOf(server);
  const attempt = client.connect();
  await client.close();
  await t.throwsAsync(attempt, { message: "client closed or restarted while connecting" });
  await eventually(() => (server.server.connections.size === 0 ? true : undefined));
  t.false(client.isConnected);
});

test("a second connect() replaces the connection: the first one is closed, not left open", async (t) => {
  const server = await startServer({}, withEcho);
  t.teardown(server.close);
  const storage = new MemorySessionStorage();
  const client = clientOf(server, { storage });
  t.teardown(() => client.close());
  const events = collect(client);
  await client.connect();
  const second = await client.connect();
  t.is(second.outcome, "fast_connect");
  await eventually(() => (server.server.connections.size === 1 ? true : undefined));
  t.deepEqual(events.disconnected, [], "the replaced connection is not reported as lost");
  const reply = await client.request(ECHO, Buffer.from("still"));
  t.is(OkReply.decode(reply.body).data, `${second.sessionId}|true|still`);
});

test("a client refused with OVERLOADED backs off and gets in once the handshake rate allows", async (t) => {
  const server = await startServer({ handshakesPerSecond: 1 }, withEcho);
  t.teardown(server.close);
  const clients = ["device-a", "device-b"].map((deviceId) =>
    clientOf(server, { device: { ...DEVICE, deviceId }, storage: new MemorySessionStorage(), backoff: FAST }),
  );
  const errors: string[] = [];
  const events = clients.map((client) => {
    t.teardown(() => client.close());
    const collected = collect(client);
    client.on("error", (error: Error) => errors.push(error.message));
    return collected;
  });
  const started = Date.now();
  for (const client of clients) client.start();
  await eventually(() => (events.every((e) => e.established.length === 1) ? true : undefined), 5000);
  t.true(
    errors.some((m) => m.includes("OVERLOADED")),
    "one of the two was refused: a burst of one",
  );
  t.true(Date.now() - started >= 900, "the second got in only once the bucket refilled");
  t.true(clients.every((c) => c.isConnected));
});
