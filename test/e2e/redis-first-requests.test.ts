import "reflect-metadata";
import { readFileSync } from "node:fs";
import test from "ava";
import { ClientConnection, PinnedServerKey, startHandshake } from "../../client/index.js";
import { Command } from "../../core/index.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";

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
