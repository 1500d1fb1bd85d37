import "reflect-metadata";
import { readFileSync } from "node:fs";
import test from "ava";
import { Keyv } from "keyv";
import { ClientConnection } from "../../../client/connection/client-connection.js";
import { startFastConnect } from "../../../client/flows/fast-connect-flow.js";
import { type ClientSession, MemorySessionStorage, MPushClient, ServerError } from "../../../client/index.js";
import { Command, definePlugin, ErrorCode, KEYV } from "../../../core/index.js";
import { startServer } from "../../helpers/server.js";

const device = { deviceId: "device-7", osName: "ios", osVersion: "17", clientVersion: "test/1" };
const wish = { minHeartbeatMs: 0, maxHeartbeatMs: 0 };

async function handshaken(port: number, serverKey: string): Promise<ClientSession> {
  const storage = new MemorySessionStorage();
  const client = new MPushClient({ host: "127.0.0.1", port, serverKey, device, storage });
  await client.connect();
  await client.close();
  const session = await storage.load();
  if (!session) throw new Error("no session stored");
  return session;
}

/** A Map-backed Keyv store that answers after `delayMs`, so concurrent requests really overlap. */
class SlowMapStore extends Map<string, unknown> {
  constructor(private readonly delayMs: number) {
    super();
  }
  private later<T>(value: () => T): Promise<T> {
    return new Promise((resolve) => setTimeout(() => resolve(value()), this.delayMs));
  }
  override get(key: string): never {
    return this.later(() => super.get(key)) as never;
  }
  override set(key: string, value: unknown): never {
    return this.later(() => super.set(key, value)) as never;
  }
  override delete(key: string): never {
    return this.later(() => super.delete(key)) as never;
  }
}

const slowStore = definePlugin({
  name: "slow-store",
  register(container) {
    container.registerInstance(KEYV, new Keyv({ store: new SlowMapStore(20) }));
  },
});

test("two resumes racing on one session id: exactly one succeeds, the other gets SESSION_EXPIRED", async (t) => {
  const { port, keyFile, close } = await startServer({}, [{ plugin: slowStore }]);
  t.teardown(close);
  const session = await handshaken(port, readFileSync(`${keyFile}.pub`, "utf8"));
  const ticket = {
    sessionId: session.sessionId,
    sessionSecret: Buffer.from(session.sessionSecret, "base64"),
    deviceId: device.deviceId,
  };
  const connections = await Promise.all([
    ClientConnection.open("127.0.0.1", port),
    ClientConnection.open("127.0.0.1", port),
  ]);
  t.teardown(() => {
    for (const c of connections) c.close();
  });
  // Different nonces: both binders are valid and both reads see the session; only the single-use delete tells them apart.
  const results = await Promise.allSettled(
    connections.map((c) => c.request(Command.FAST_CONNECT, startFastConnect(ticket, wish, Date.now()).body)),
  );
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  t.is(won.length, 1);
  t.is(lost.length, 1);
  t.true(lost[0] instanceof ServerError);
  t.is((lost[0] as ServerError).code, ErrorCode.SESSION_EXPIRED);
  t.regex((lost[0] as ServerError).reason, /already resumed/);
});

test("a new HANDSHAKE of the device supersedes its earlier sessions; the newest one resumes", async (t) => {
  const { port, keyFile, close } = await startServer();
  t.teardown(close);
  const serverKey = readFileSync(`${keyFile}.pub`, "utf8");
  const older = await handshaken(port, serverKey);
  const newer = await handshaken(port, serverKey);
  const resume = async (session: ClientSession) => {
    const storage = new MemorySessionStorage();
    await storage.save(session);
    const client = new MPushClient({ host: "127.0.0.1", port, serverKey, device, storage });
    t.teardown(() => client.close());
    return client.connect();
  };
  t.is((await resume(newer)).outcome, "fast_connect");
  const fromOlder = await resume(older);
  t.is(fromOlder.outcome, "handshake");
  t.is(fromOlder.fastConnectError, "SESSION_EXPIRED");
});

test("other devices' sessions are not superseded by a device's handshake", async (t) => {
  const { port, keyFile, close } = await startServer();
  t.teardown(close);
  const serverKey = readFileSync(`${keyFile}.pub`, "utf8");
  const storage = new MemorySessionStorage();
  const client = new MPushClient({ host: "127.0.0.1", port, serverKey, device, storage });
  await client.connect();
  await client.close();
  const other = new MPushClient({ host: "127.0.0.1", port, serverKey, device: { ...device, deviceId: "device-8" } });
  await other.connect();
  await other.close();
  const again = new MPushClient({ host: "127.0.0.1", port, serverKey, device, storage });
  t.teardown(() => again.close());
  t.is((await again.connect()).outcome, "fast_connect");
});
