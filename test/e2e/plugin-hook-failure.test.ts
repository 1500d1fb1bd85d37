import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { MemorySessionStorage, MPushClient } from "../../client/index.js";
import { definePlugin, Hooks } from "../../core/index.js";
import { OkReply } from "../../core/protocol/index.js";
import { ECHO, withEcho } from "../helpers/echo-plugin.js";
import { startServer } from "../helpers/server.js";
import { DEVICE, pinnedKey } from "../helpers/session-peer.js";
import { eventually } from "../helpers/wait.js";

test("a plugin whose hooks throw is reported; the server goes on serving, and shuts down fully", async (t) => {
  const logs: { level: number; msg: string; hook?: string; err?: { message: string } }[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  let released = false;
  const buggy = definePlugin({
    name: "buggy",
    register(container) {
      const hooks = container.resolve(Hooks);
      hooks.add("onClose", () => {
        released = true;
      });
      for (const name of ["onConnection", "onSessionEstablished", "onConnectionClose", "onClose"] as const) {
        hooks.add(name, () => {
          throw new Error(`bug in ${name}`);
        });
      }
    },
  });
  const server = await startServer({}, [...withEcho, { plugin: buggy }], { logger });
  let closed = false;
  t.teardown(() => (closed ? undefined : server.close()));

  for (const deviceId of ["device-a", "device-b"]) {
    const client = new MPushClient({
      host: "127.0.0.1",
      port: server.port,
      serverKey: pinnedKey(server.keyFile),
      device: { ...DEVICE, deviceId },
      storage: new MemorySessionStorage(),
    });
    const outcome = await client.connect();
    const reply = await client.request(ECHO, Buffer.from("served"));
    t.is(OkReply.decode(reply.body).data, `${outcome.sessionId}|false|served`);
    await client.close();
  }
  await eventually(() => (server.server.connections.size === 0 ? true : undefined));
  const failures = logs.filter((l) => l.msg === "plugin hook threw; the server goes on");
  t.is(failures[0]?.hook, "onConnection", "the first failure is logged at once, the rest are counted");
  t.is(failures[0]?.err?.message, "bug in onConnection");
  t.is(failures[0]?.level, 50);

  await server.close();
  closed = true;
  t.true(released, "an onClose that failed did not stop the others");
});
