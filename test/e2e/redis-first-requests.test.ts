import "reflect-metadata";
import { readFileSync } from "node:fs";
import test from "ava";
import { pino } from "pino";
import { ClientConnection, PinnedServerKey, startHandshake } from "../../client/index.js";
import {
  Command,
  definePlugin,
  HandlerRegistrationError,
  loadConfig,
  MPushServer,
  registerHandlers,
} from "../../core/index.js";
import { EchoHandler } from "../helpers/echo-plugin.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer, tempKeyFile } from "../helpers/server.js";
import { eventually } from "../helpers/wait.js";

test("on Redis, handshakes that arrive together right after boot all get a resumable session", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const { port, keyFile, close } = await startServer({ session: { store: redis.url } });
  t.teardown(close);
  const serverKey = PinnedServerKey.from(readFileSync(`${keyFile}.pub`, "utf8"));

  const sessionIds = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const connection = await ClientConnection.open("127.0.0.1", port);
      try {
        const device = { deviceId: `device-${i}`, osName: "test", osVersion: "1", clientVersion: "1" };
        const flow = startHandshake(device, { minHeartbeatMs: 0, maxHeartbeatMs: 0 }, serverKey);
        const reply = await connection.request(Command.HANDSHAKE, flow.body);
        return flow.finish(reply.body).sessionId;
      } finally {
        await connection.close();
      }
    }),
  );
  t.deepEqual(
    sessionIds.filter((id) => id === ""),
    [],
  );
});

test("a server that fails to boot after connecting to Redis closes that connection", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const twin = (name: string) =>
    definePlugin({
      name,
      register(container) {
        registerHandlers(container, EchoHandler);
      },
    });
  const config = loadConfig({
    env: {},
    overrides: { host: "127.0.0.1", port: 0, keyFile: tempKeyFile(), session: { store: redis.url } },
  });
  await t.throwsAsync(
    MPushServer.create({
      config,
      logger: pino({ level: "silent" }),
      plugins: [{ plugin: twin("a") }, { plugin: twin("b") }],
    }),
    { instanceOf: HandlerRegistrationError },
  );
  // Only redis-cli itself is left connected.
  await eventually(
    async () => ((await redis.cli("CLIENT", "LIST")).trim().split("\n").length === 1 ? true : undefined),
    3000,
  );
  t.pass();
});
