import "reflect-metadata";
import { spawn } from "node:child_process";
import { once } from "node:events";
import test, { type ExecutionContext } from "ava";
import { ClientConnection, MPushClient } from "../../client/index.js";
import { DEVICE } from "../helpers/session-peer.js";
import { eventually } from "../helpers/wait.js";

// Serial: each test compares the process's live handles before and after one connect.

/**
 * A loopback listener that never accepts, its accept queue filled: the kernel
 * drops further SYNs, so a TCP connect to it stays in flight.
 */
const UNANSWERED = `
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
fill = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(s.getsockname())
    except BlockingIOError: pass
    fill.append(c)
print(s.getsockname()[1], flush=True)
time.sleep(120)
`;

async function unansweredPort(t: ExecutionContext): Promise<number> {
  const child = spawn("/usr/bin/python3", ["-c", UNANSWERED], { stdio: ["ignore", "pipe", "inherit"] });
  t.teardown(() => child.kill());
  const [line] = (await once(child.stdout, "data")) as [Buffer];
  child.stdout.destroy();
  return Number(line.toString().trim());
}

function sockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "TCPSocketWrap" || kind === "Timeout").length;
}

/** A destroyed socket's handle goes on its close callback: well within 1 s, where the connect timeout is 5 s. */
async function released(before: number): Promise<number> {
  await eventually(() => (sockets() <= before ? true : undefined), 1000, 20).catch(() => {});
  return sockets();
}

test.serial(
  "ClientConnection.open with its signal aborted mid-connect rejects with the reason and keeps no socket or timer",
  async (t) => {
    const port = await unansweredPort(t);
    const before = sockets();
    const abort = new AbortController();
    const opening = ClientConnection.open("127.0.0.1", port, { timeoutMs: 5000, signal: abort.signal });
    t.true(sockets() > before, "the connect is in flight");
    const gone = new Error("gone");
    abort.abort(gone);
    const error = await t.throwsAsync(opening);
    t.is(error, gone);
    t.is(await released(before), before);
  },
);

test.serial("ClientConnection.open with a signal aborted already opens nothing", async (t) => {
  const before = sockets();
  const abort = new AbortController();
  abort.abort(new Error("before"));
  await t.throwsAsync(ClientConnection.open("127.0.0.1", 1, { signal: abort.signal }), { message: "before" });
  t.is(await released(before), before);
});

/** A client toward the unanswered port, with the live handles from before it, and what `begin` started on it in flight. */
async function connectingClient<T>(t: ExecutionContext, begin: (client: MPushClient) => T) {
  const port = await unansweredPort(t);
  const before = sockets();
  const options = { host: "127.0.0.1", port, serverKey: Buffer.alloc(32, 1), device: DEVICE, connectTimeoutMs: 5000 };
  const client = new MPushClient(options);
  const started = begin(client);
  await new Promise((resolve) => setImmediate(resolve));
  t.true(sockets() > before, "the connect is in flight");
  return { client, before, started };
}

test.serial("close() during connect()'s TCP connect rejects it at once and keeps no socket or timer", async (t) => {
  const { client, before, started } = await connectingClient(t, (c) => c.connect());
  await client.close();
  await t.throwsAsync(started, { message: "client closed while connecting" });
  t.is(await released(before), before);
});

test.serial("close() during start()'s TCP connect reports no error and keeps no socket or timer", async (t) => {
  const errors: unknown[] = [];
  const { client, before } = await connectingClient(t, (c) => {
    c.on("error", (error) => errors.push(error));
    c.start();
  });
  await client.close();
  t.is(await released(before), before);
  t.deepEqual(errors, []);
});
