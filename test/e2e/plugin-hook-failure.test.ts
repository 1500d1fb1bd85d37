import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { MemorySessionStorage, MPushClient } from "../../client/index.js";
import { definePlugin, Hooks, PluginLoadError, TimerWheel, WheelTimer } from "../../core/index.js";
import { OkReply } from "../../core/protocol/index.js";
import { ECHO, withEcho } from "../helpers/echo-plugin.js";
import { RawClient } from "../helpers/raw-client.js";
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

test("a plugin's wheel timer that throws is reported and dropped; the server's own timers go on", async (t) => {
  const logs: { level: number; msg: string; err?: { message: string } }[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const buggy = definePlugin({
    name: "buggy-timer",
    register(container) {
      const wheel = container.resolve(TimerWheel);
      wheel.schedule(
        new WheelTimer(() => {
          throw new Error("bug in a plugin timer");
        }),
        Date.now(),
      );
    },
  });
  const server = await startServer({ sweepIntervalMs: 20, establishTimeoutMs: 100 }, [{ plugin: buggy }], { logger });
  t.teardown(server.close);
  await eventually(() => logs.find((l) => l.msg === "a wheel timer threw; it is dropped and the others go on"));
  t.is(logs.find((l) => l.err)?.err?.message, "bug in a plugin timer");
  const client = await RawClient.open(server.port);
  t.teardown(() => client.close());
  await client.waitClosed(2000);
  t.true(client.closed, "the establish deadline, a wheel timer of the server's own, still closes a connection");
});

test("a plugin whose register() throws fails boot with MPUSH_ERR_PLUGIN_LOAD naming it, the cause kept", async (t) => {
  const cause = new Error("cannot reach the licence server");
  const broken = definePlugin({
    name: "broken-register",
    register() {
      throw cause;
    },
  });
  const error = await t.throwsAsync(startServer({}, [{ plugin: broken }]), { instanceOf: PluginLoadError });
  t.is(error?.code, "MPUSH_ERR_PLUGIN_LOAD");
  t.regex(error?.message ?? "", /"broken-register": register\(\) failed: cannot reach the licence server/);
  t.is(error?.cause, cause);
});
