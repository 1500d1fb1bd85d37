import "reflect-metadata";
import KeyvRedis from "@keyv/redis";
import test from "ava";
import { Keyv } from "keyv";
import {
  definePlugin,
  Hooks,
  KEYV,
  type Plugin,
  SESSION_STORE,
  type SessionStore,
  StoreUnavailableError,
} from "../../core/index.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import { sleep } from "../helpers/wait.js";

/** A plugin's own Keyv on Redis, which the plugin closes when the server closes. */
function pluginStore(url: string): Plugin {
  const adapter = new KeyvRedis(
    {
      url,
      socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
      disableOfflineQueue: true,
    },
    { throwOnErrors: true, connectionTimeout: 1000 },
  );
  const keyv = new Keyv({ store: adapter, useKeyPrefix: false, throwOnErrors: true });
  keyv.on("error", () => {});
  return definePlugin({
    name: "own-store",
    register(container) {
      container.registerInstance(KEYV, keyv);
      container.resolve(Hooks).add("onClose", () => keyv.disconnect());
    },
  });
}

for (const owner of ["the server's", "a plugin's"] as const) {
  test(`${owner} Redis store: a server closed while an operation waits for Redis leaves nothing behind; the operation fails and Redis coming back gets no client`, async (t) => {
    const redis = await RedisServer.start();
    await redis.stop();
    const plugins = owner === "a plugin's" ? [{ plugin: pluginStore(redis.url) }] : [];
    const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 1000 } }, plugins);
    // Past the boot's own connect attempts, so the read below starts its own connect.
    await sleep(2500);
    const read = server.server.container.resolve<SessionStore>(SESSION_STORE).get("A".repeat(24));
    // Inside that connect's retry backoff: @keyv/redis resolves a connect once its client is closed.
    await sleep(150);
    await server.close();
    await redis.restart();
    t.teardown(() => redis.stop());
    await t.throwsAsync(read, { instanceOf: StoreUnavailableError });
    // Past the longest reconnect backoff (2 s).
    await sleep(2500);
    const clients = (await redis.cli("CLIENT", "LIST"))
      .split("\n")
      .filter((l) => l !== "" && !l.includes("cmd=client|list"));
    t.deepEqual(clients, []);
  });
}
