import "reflect-metadata";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import {
  type ClientSession,
  type ConnectOutcome,
  MemorySessionStorage,
  SessionStorageError,
} from "../../client/index.js";
import { StorageCalls, StorageQueue } from "../../client/session/storage-calls.js";
import { runCli } from "../helpers/child-process.js";
import { clientOf } from "../helpers/sdk-client.js";
import { startServer } from "../helpers/server.js";
import { eventually, sleep } from "../helpers/wait.js";

/** An application's storage that fails on demand, as a full disk or a locked keystore would. */
class FlakyStorage extends MemorySessionStorage {
  failLoad = false;
  failSave = false;
  saved: ClientSession | undefined;

  override async load(): Promise<ClientSession | undefined> {
    if (this.failLoad) throw new Error("keystore locked");
    return super.load();
  }

  override async save(session: ClientSession): Promise<void> {
    if (this.failSave) throw new Error("disk full");
    this.saved = session;
    return super.save(session);
  }
}

async function setup(t: import("ava").ExecutionContext) {
  const server = await startServer();
  t.teardown(() => server.close());
  const storage = new FlakyStorage();
  const client = clientOf(server, { storage, backoff: { baseMs: 50, factor: 1, maxMs: 50, jitter: 0 } });
  t.teardown(() => client.close());
  return { server, storage, client };
}

test("a save that fails leaves the client connected, says so, and the next connect resumes from memory", async (t) => {
  const { storage, client } = await setup(t);
  storage.failSave = true;
  const first = await client.connect();
  t.is(first.outcome, "handshake");
  t.true(first.storageError instanceof SessionStorageError);
  t.is(first.storageError?.message, "cannot save the session: disk full");
  t.true(client.isConnected);

  const second = await client.connect();
  t.is(second.outcome, "fast_connect");
  t.is(second.fastConnectError, undefined);
  t.is(storage.saved, undefined);

  storage.failSave = false;
  const third = await client.connect();
  t.is(third.outcome, "fast_connect");
  t.is(third.storageError, undefined);
  t.is(storage.saved?.sessionId, third.sessionId);
});

test("after a failed save the rotated session in memory wins over the stale one in storage", async (t) => {
  const { storage, client } = await setup(t);
  const first = await client.connect();
  t.is(storage.saved?.sessionId, first.sessionId);
  storage.failSave = true;
  const second = await client.connect();
  t.is(second.outcome, "fast_connect");
  t.truthy(second.storageError);
  // The storage still holds the first id, which the server rotated away.
  t.is(storage.saved?.sessionId, first.sessionId);
  const third = await client.connect();
  t.is(third.outcome, "fast_connect");
  t.is(third.fastConnectError, undefined);
});

test("a load that fails means a handshake, reported, not a failed attempt", async (t) => {
  const { storage, client } = await setup(t);
  storage.failLoad = true;
  const outcome = await client.connect();
  t.is(outcome.outcome, "handshake");
  t.is(outcome.storageError?.message, "cannot load the session: keystore locked");
  t.true(client.isConnected);
});

test("start() with a storage that cannot save stays connected: an error event, no reconnect", async (t) => {
  const { storage, client } = await setup(t);
  storage.failSave = true;
  const established: ConnectOutcome[] = [];
  const errors: Error[] = [];
  client.on("established", (outcome: ConnectOutcome) => established.push(outcome));
  client.on("error", (error: Error) => errors.push(error));
  client.start();
  await eventually(() => (established.length > 0 ? true : undefined));
  await sleep(300);
  t.is(established.length, 1);
  t.is(errors.length, 1);
  t.true(errors[0] instanceof SessionStorageError);
  t.true(client.isConnected);
});

test("the CLI with a session file it cannot write prints its line, then exits 1 saying why", async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const dir = mkdtempSync(join(tmpdir(), "mpush-cli-"));
  const { code, stdout, stderr } = await runCli([
    "--host",
    "127.0.0.1",
    "--port",
    String(server.port),
    "--device-id",
    "d1",
    "--session-file",
    dir,
    "--server-key",
    `${server.keyFile}.pub`,
  ]);
  t.is(code, 1);
  const lines = stdout.trim().split("\n");
  t.is(lines.length, 1);
  t.is(JSON.parse(lines[0] as string).outcome, "handshake");
  t.is(
    stderr.trim(),
    `mpush: session file ${dir} cannot be read: it is a directory; handshaking\n` +
      `mpush: connected, but cannot save the session: ${dir}: it is a directory`,
  );
});

test("a storage that never answers counts as failed after storageTimeoutMs: the client connects all the same", async (t) => {
  const server = await startServer();
  t.teardown(() => server.close());
  const hanging = new FlakyStorage();
  hanging.load = () => new Promise<never>(() => {});
  hanging.save = () => new Promise<never>(() => {});
  const client = clientOf(server, { storage: hanging, storageTimeoutMs: 200 });
  t.teardown(() => client.close());
  const outcome = await client.connect();
  t.is(outcome.outcome, "handshake");
  t.is(outcome.storageError?.message, "cannot save the session: no answer within 200 ms");
  t.true(client.isConnected);
});

test("storage calls run one after another: a clear that answers late cannot wipe the session saved after it", async (t) => {
  const storage = new FlakyStorage();
  let clears = 0;
  storage.clear = async () => {
    await sleep(300);
    clears++;
    return MemorySessionStorage.prototype.clear.call(storage);
  };
  const queue = new StorageQueue();
  const calls = new StorageCalls(storage, queue, 100);
  await calls.clear();
  t.regex(calls.failure?.message ?? "", /no answer within 100 ms/);
  const session = {
    sessionId: "s".repeat(24),
    sessionSecret: Buffer.alloc(32, 7).toString("base64"),
    deviceId: "d",
    expiresAtMs: Date.now() + 60_000,
    heartbeatMs: 1000,
    serverFingerprint: "SHA256:x",
    clockOffsetMs: 0,
  };
  // Behind the late clear: it too gives up waiting, but it still runs after the clear, not before.
  t.false(await calls.save(session));
  await eventually(() => (storage.saved !== undefined ? true : undefined), 2000);
  t.is(clears, 1);
  t.deepEqual(await storage.load(), session);
});
