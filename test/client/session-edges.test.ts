import "reflect-metadata";
import test from "ava";
import { ClientConnection, Command, MemorySessionStorage, startHandshake } from "../../client/index.js";
import { RedisServer } from "../helpers/redis.js";
import { clientOf } from "../helpers/sdk-client.js";
import { ManualClock, startServer } from "../helpers/server.js";
import { ANY_HEARTBEAT, DEVICE, pinnedKey } from "../helpers/session-peer.js";

/** Far beyond any replay window: a client that ignored the offset would be refused as REPLAYED. */
const SERVER_AHEAD_MS = 10 * 60_000;

/** A server whose wall clock runs SERVER_AHEAD_MS ahead of this host's, with a replay window of a few seconds. */
async function serverAhead() {
  const clock = new ManualClock();
  clock.advance(SERVER_AHEAD_MS);
  return startServer({ session: { replayWindowMs: 3000 } }, [], { clock });
}

/** A storage holding a session the first client of `server` handshook. */
async function handshakenInto(server: { port: number; keyFile: string }): Promise<MemorySessionStorage> {
  const storage = new MemorySessionStorage();
  const first = clientOf(server, { storage });
  try {
    const outcome = await first.connect();
    if (outcome.outcome !== "handshake") throw new Error(`first connect: ${outcome.outcome}`);
  } finally {
    await first.close();
  }
  return storage;
}

test("a client resumes a server whose clock is far ahead: the FAST_CONNECT timestamp is on the server's clock", async (t) => {
  const server = await serverAhead();
  t.teardown(server.close);
  const storage = await handshakenInto(server);
  const offset = (await storage.load())?.clockOffsetMs ?? 0;
  t.true(Math.abs(offset - SERVER_AHEAD_MS) < 2000, `the handshake taught the offset: ${offset} ms`);

  const second = clientOf(server, { storage });
  t.teardown(() => second.close());
  const resumed = await second.connect();
  t.is(resumed.outcome, "fast_connect");
  t.is(resumed.fastConnectError, undefined);
});

test("a stored session that expires within 5 s (on the server's clock) is not offered: the client handshakes at once", async (t) => {
  const server = await serverAhead();
  t.teardown(server.close);
  const storage = await handshakenInto(server);
  const stored = await storage.load();
  if (stored === undefined) return t.fail("no session stored");
  // Still resumable on the server; only the client's record says it is about to expire.
  await storage.save({ ...stored, expiresAtMs: Date.now() + stored.clockOffsetMs + 1000 });

  const second = clientOf(server, { storage });
  t.teardown(() => second.close());
  const outcome = await second.connect();
  t.is(outcome.outcome, "handshake");
  t.is(outcome.fastConnectError, undefined, "no FAST_CONNECT was tried");
});

for (const [code, spoil] of [
  ["SESSION_EXPIRED", "a session already resumed"],
  ["BAD_PROOF", "a session with the wrong secret"],
] as const) {
  test(`after ${code} (${spoil}) and a handshake the store cannot keep, the dead session is cleared from storage`, async (t) => {
    const redis = await RedisServer.start();
    t.teardown(() => redis.stop());
    const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 500 } });
    t.teardown(server.close);
    const storage = new MemorySessionStorage();

    const first = clientOf(server, { storage });
    t.teardown(() => first.close());
    t.is((await first.connect()).outcome, "handshake");
    await first.close();
    const made = await storage.load();
    if (made === undefined) return t.fail("no session stored");
    if (code === "SESSION_EXPIRED") {
      // Resumed once: its id is gone from the store.
      const resumer = clientOf(server, { storage });
      t.teardown(() => resumer.close());
      t.is((await resumer.connect()).outcome, "fast_connect");
      await resumer.close();
      await storage.save(made);
    } else {
      await storage.save({ ...made, sessionSecret: Buffer.alloc(32, 7).toString("base64") });
    }

    // Redis still answers reads but refuses every write (OOM): the handshake's session cannot be kept.
    t.is(await redis.cli("CONFIG", "SET", "maxmemory-policy", "noeviction"), "OK");
    t.is(await redis.cli("CONFIG", "SET", "maxmemory", "1"), "OK");
    const client = clientOf(server, { storage });
    t.teardown(() => client.close());
    const outcome = await client.connect();
    t.is(outcome.outcome, "handshake");
    t.is(outcome.fastConnectError, code);
    t.is(outcome.sessionId, undefined, "the degraded handshake left nothing to resume");
    t.is(await storage.load(), undefined, "the refused session is not kept to be offered again");
  });
}

test("a client's request seq wraps from 2^31-1 to 1, never setting the bit that marks server-initiated messages", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const connection = await ClientConnection.open("127.0.0.1", server.port);
  t.teardown(() => connection.close());
  // The private counter at its last value, as after 2^31-1 requests.
  (connection as unknown as { seq: number }).seq = 0x7fff_ffff;
  const flow = startHandshake(DEVICE, ANY_HEARTBEAT, [pinnedKey(server.keyFile)]);
  const reply = await connection.request(Command.HANDSHAKE, flow.body, {
    onReply: (packet) => connection.installKeys(flow.finish(packet.body).secrets.traffic),
  });
  t.is(reply.seq, 1);
  t.is(reply.cmd, Command.HANDSHAKE);
});
