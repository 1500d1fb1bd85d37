import "reflect-metadata";
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import test from "ava";
import {
  ClientConnection,
  type ClientSession,
  type ConnectOutcome,
  MemorySessionStorage,
  MPushClient,
} from "../../client/index.js";
import { IdentityKey } from "../../core/crypto/identity-key.js";
import { type CommandHandler, definePlugin, Handles, Hooks, registerHandlers } from "../../core/index.js";
import { GREETING, greeterPlugin } from "../helpers/greeter-plugin.js";
import { reservedPort } from "../helpers/ports.js";
import { clientOf } from "../helpers/sdk-client.js";
import { startServer, tempKeyFile } from "../helpers/server.js";
import { DEVICE } from "../helpers/session-peer.js";
import { FrameProxy } from "../helpers/tcp-proxy.js";
import { eventually, sleep } from "../helpers/wait.js";

const PUSH = GREETING;
const FIRE_AND_FORGET = 121;

const greeter = greeterPlugin();

/** A command whose handler answers nothing, like an ACK. */
@Handles(FIRE_AND_FORGET, { access: "session" })
class SilentHandler implements CommandHandler<Buffer> {
  handle(): undefined {
    return undefined;
  }
}
const silent = definePlugin({
  name: "test-silent",
  register(container) {
    registerHandlers(container, SilentHandler);
  },
});

/** A storage whose saves take a while, like an fsync on a slow disk. */
class SlowStorage extends MemorySessionStorage {
  constructor(private readonly delayMs: number) {
    super();
  }

  override async save(session: ClientSession): Promise<void> {
    await sleep(this.delayMs);
    return super.save(session);
  }
}

test("pushes sent the moment the session exists reach the application, after a handshake and after a resume", async (t) => {
  const server = await startServer({}, [{ plugin: greeter }]);
  t.teardown(server.close);
  const client = clientOf(server, { storage: new SlowStorage(100) });
  t.teardown(() => client.close());
  const pushes: string[] = [];
  client.on("packet", (packet) => {
    if (packet.cmd === PUSH) pushes.push(packet.body.toString());
  });
  await client.connect();
  t.deepEqual(pushes, ["new"]);
  await client.connect();
  t.deepEqual(pushes, ["new", "resumed"]);
});

test("a push that came before the connection closed during the save still reaches the application, once", async (t) => {
  // Greets every session, then hangs up on the first: the client is still saving it.
  const greetAndHangUp = definePlugin({
    name: "test-greet-and-hang-up",
    register(container) {
      container.resolve(Hooks).add("onSessionEstablished", (connection, session) => {
        connection.send(PUSH, 0, connection.nextSeq(), Buffer.from(session.resumed ? "resumed" : "new"));
        if (!session.resumed) connection.close("bye");
      });
    },
  });
  const server = await startServer({}, [{ plugin: greetAndHangUp }]);
  t.teardown(server.close);
  const client = clientOf(server, {
    storage: new SlowStorage(200),
    backoff: { baseMs: 50, factor: 1, maxMs: 50, jitter: 0 },
  });
  t.teardown(() => client.close());
  client.on("error", () => {});
  const pushes: string[] = [];
  client.on("packet", (packet) => pushes.push(packet.body.toString()));
  client.start();
  await eventually(() => (pushes.includes("resumed") ? true : undefined), 5000);
  t.deepEqual(pushes, ["new", "resumed"]);
});

test("a connection that closes while its session is being saved is not taken on: the client reconnects and resumes", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const proxy = await FrameProxy.start(server.port);
  t.teardown(() => proxy.close());
  const storage = new SlowStorage(300);
  const client = clientOf(
    { port: proxy.port, keyFile: server.keyFile },
    { storage, backoff: { baseMs: 50, factor: 1, maxMs: 50, jitter: 0 } },
  );
  t.teardown(() => client.close());
  const established: ConnectOutcome[] = [];
  const errors: Error[] = [];
  client.on("established", (outcome: ConnectOutcome) => established.push(outcome));
  client.on("error", (error: Error) => errors.push(error));
  client.start();
  // The first reply has come through; cut the path while the client saves.
  await eventually(() => (proxy.serverToClient.length > 0 ? true : undefined));
  await sleep(50);
  await proxy.closeConnections();
  await eventually(() => (established.length > 0 ? true : undefined), 5000);
  t.regex(errors[0]?.message ?? "", /connection lost while the session was being saved/);
  t.is(established[0]?.outcome, "fast_connect", "the saved session resumed on the next connection");
  t.true(client.isConnected);
});

test("a client that only sends messages nobody answers keeps its connection: heartbeats still go out", async (t) => {
  const server = await startServer({ heartbeat: { minMs: 1000, maxMs: 1000 } }, [{ plugin: silent }]);
  t.teardown(server.close);
  const client = clientOf(server);
  t.teardown(() => client.close());
  const lost: string[] = [];
  client.on("disconnected", (reason: string) => lost.push(reason));
  t.is((await client.connect()).heartbeatMs, 1000);
  // Writes every 300 ms for well past two intervals and the margin: never write-idle, never answered.
  for (let i = 0; i < 14; i++) {
    client.send(FIRE_AND_FORGET, Buffer.from("ack"));
    await sleep(300);
  }
  t.deepEqual(lost, []);
  t.true(client.isConnected);
});

test("request() while disconnected rejects instead of throwing", async (t) => {
  const client = new MPushClient({ host: "127.0.0.1", port: 1, serverKey: Buffer.alloc(32, 1), device: DEVICE });
  const pending = client.request(100, Buffer.alloc(0));
  await t.throwsAsync(pending, { message: "not connected" });
});

test("heartbeat bounds the wrong way round, or timers past what setTimeout holds, are refused when the client is made", (t) => {
  const base = { host: "127.0.0.1", port: 1, serverKey: Buffer.alloc(32, 1), device: DEVICE };
  t.throws(() => new MPushClient({ ...base, heartbeat: { minMs: 100_000, maxMs: 50_000 } }), {
    instanceOf: RangeError,
    message: "heartbeat.minMs (100000) must not exceed heartbeat.maxMs (50000)",
  });
  t.throws(() => new MPushClient({ ...base, requestTimeoutMs: 2 ** 31 }), { instanceOf: RangeError });
  t.throws(() => new MPushClient({ ...base, backoff: { baseMs: 100, factor: 2, maxMs: 2 ** 40, jitter: 0 } }), {
    instanceOf: RangeError,
  });
  for (const backoff of [
    { baseMs: 100, factor: 0.5, maxMs: 1000, jitter: 0 },
    { baseMs: 100, factor: 2, maxMs: 1000, jitter: 1.5 },
  ]) {
    t.throws(() => new MPushClient({ ...base, backoff }), { instanceOf: RangeError }, JSON.stringify(backoff));
  }
  for (const zero of [{ requestTimeoutMs: 0 }, { connectTimeoutMs: 0 }, { storageTimeoutMs: 0 }]) {
    t.throws(() => new MPushClient({ ...base, ...zero }), { instanceOf: RangeError }, JSON.stringify(zero));
  }
  t.notThrows(() => new MPushClient({ ...base, heartbeat: { minMs: 5000, maxMs: 0 } }));
});

test("close() against a peer that never closes its side still releases the socket", async (t) => {
  const held: Socket[] = [];
  // Answers nothing and never ends its side, even after the client's FIN: a hung server.
  const mute = createServer({ allowHalfOpen: true }, (socket) => {
    held.push(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
  t.teardown(() => {
    for (const socket of held) socket.destroy();
    mute.close();
  });
  const connection = await ClientConnection.open("127.0.0.1", (mute.address() as { port: number }).port);
  const settled = await Promise.race([
    connection.close().then((graceful) => (graceful ? "closed by the peer too" : "closed")),
    sleep(5000).then(() => "still open after 5 s"),
  ]);
  t.is(settled, "closed");
  t.false(connection.isOpen);
});

test("connect() while start() waits out a backoff takes over: the scheduled reconnect does not open a second connection", async (t) => {
  const port = await reservedPort();
  const keyFile = tempKeyFile();
  await IdentityKey.loadOrCreate(keyFile);
  const client = clientOf({ port, keyFile }, { backoff: { baseMs: 400, factor: 1, maxMs: 400, jitter: 0 } });
  t.teardown(() => client.close());
  client.on("error", () => {});
  let opened = 0;
  const counter = definePlugin({
    name: "test-counter",
    register(container) {
      container.resolve(Hooks).add("onConnection", () => {
        opened++;
      });
    },
  });
  // Nothing listens yet: the first attempt fails and a reconnect is scheduled.
  client.start();
  await sleep(50);
  const server = await startServer({ port, keyFile }, [{ plugin: counter }]);
  t.teardown(server.close);
  await client.connect();
  // Past the scheduled reconnect.
  await sleep(700);
  t.is(opened, 1);
  t.true(client.isConnected);
});

test("connect() during start()'s attempt waits for it, so one session is never resumed twice at once and the stored one stays good", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const storage = new MemorySessionStorage();
  const first = clientOf(server, { storage });
  t.is((await first.connect()).outcome, "handshake");
  await first.close();

  const client = clientOf(server, { storage });
  t.teardown(() => client.close());
  const established: ConnectOutcome[] = [];
  client.on("established", (outcome: ConnectOutcome) => established.push(outcome));
  client.start();
  const outcome = await client.connect();
  t.is(outcome.outcome, "fast_connect");
  t.is(outcome.fastConnectError, undefined, "not refused as a resume the other attempt had used");
  t.is(established.length, 1);
  t.is(established[0]?.outcome, "fast_connect");
  t.is(established[0]?.fastConnectError, undefined);
  t.true(client.isConnected);
  await client.close();

  // What is stored resumes: neither attempt cleared or outdated it.
  const later = clientOf(server, { storage });
  t.teardown(() => later.close());
  const resumed = await later.connect();
  t.is(resumed.outcome, "fast_connect");
  t.is(resumed.fastConnectError, undefined);
});

test("close() while connect() waits behind start()'s attempt: the queued attempt opens nothing", async (t) => {
  let opened = 0;
  const counter = definePlugin({
    name: "connection-counter",
    register: (container) => {
      container.resolve(Hooks).add("onConnection", () => {
        opened++;
      });
    },
  });
  const server = await startServer({}, [{ plugin: counter }]);
  t.teardown(server.close);
  const storage = new MemorySessionStorage();
  const first = clientOf(server, { storage });
  await first.connect();
  await first.close();
  opened = 0;

  const client = clientOf(server, { storage });
  client.start();
  const queued = client.connect();
  await eventually(() => (opened > 0 ? true : undefined), 2000, 1);
  await client.close();
  await t.throwsAsync(queued);
  await sleep(300);
  t.is(opened, 1, "only start()'s attempt ever opened a connection");
  t.false(client.isConnected);
});

test("close() cuts short an attempt stuck on a server that never answers, so the next connect() does not wait for its timeouts", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  // The first connection is accepted and never answered; later ones reach the server.
  let accepted = 0;
  const held: Socket[] = [];
  const front = createServer((socket) => {
    if (accepted++ === 0) {
      held.push(socket);
      return;
    }
    const back = connect(server.port, "127.0.0.1");
    socket.pipe(back).pipe(socket);
    socket.on("error", () => back.destroy());
    back.on("error", () => socket.destroy());
  });
  front.listen(0, "127.0.0.1");
  await once(front, "listening");
  t.teardown(() => {
    for (const socket of held) socket.destroy();
    front.close();
  });
  const client = clientOf(
    { port: (front.address() as AddressInfo).port, keyFile: server.keyFile },
    { requestTimeoutMs: 8000 },
  );
  t.teardown(() => client.close());
  const stuck = client.connect();
  await eventually(() => (accepted > 0 ? true : undefined), 2000, 1);
  const started = performance.now();
  await client.close();
  const next = client.connect();
  await t.throwsAsync(stuck);
  const outcome = await next;
  const waited = performance.now() - started;
  t.is(outcome.outcome, "handshake");
  t.true(
    waited < 4000,
    `connected again ${Math.round(waited)} ms after close(); the stuck request's timeout is 8000 ms`,
  );
});
