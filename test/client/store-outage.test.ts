import "reflect-metadata";
import test from "ava";
import { MemorySessionStorage, MPushClient } from "../../client/index.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import { DEVICE, pinnedKey } from "../helpers/session-peer.js";

test("STORE_UNAVAILABLE: the client keeps its session, is served by a handshake meanwhile, and resumes once the store works again", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 500 } });
  t.teardown(server.close);
  const storage = new MemorySessionStorage();
  const options = {
    host: "127.0.0.1",
    port: server.port,
    serverKey: pinnedKey(server.keyFile),
    device: DEVICE,
    storage,
  };

  const first = new MPushClient(options);
  t.teardown(() => first.close());
  t.is((await first.connect()).outcome, "handshake");
  await first.close();
  const kept = await storage.load();

  // Redis refuses every write at once (OOM) but keeps its data: the nonce claim and the new records fail.
  t.is(await redis.cli("CONFIG", "SET", "maxmemory-policy", "noeviction"), "OK");
  t.is(await redis.cli("CONFIG", "SET", "maxmemory", "1"), "OK");
  const during = new MPushClient(options);
  t.teardown(() => during.close());
  const degraded = await during.connect();
  t.is(degraded.outcome, "handshake");
  t.is(degraded.fastConnectError, "STORE_UNAVAILABLE");
  t.is(degraded.sessionId, undefined, "the degraded handshake has nothing to resume");
  t.true(during.isConnected);
  t.deepEqual(await storage.load(), kept, "the stored session was kept");
  await during.close();

  t.is(await redis.cli("CONFIG", "SET", "maxmemory", "0"), "OK");
  const after = new MPushClient(options);
  t.teardown(() => after.close());
  const resumed = await after.connect();
  t.is(resumed.outcome, "fast_connect");
  t.not(resumed.sessionId, kept?.sessionId);
});
