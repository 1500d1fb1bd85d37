import "reflect-metadata";
import test from "ava";
import { Command, definePlugin, Hooks, type Plugin, TimerWheel } from "../../core/index.js";
import { deferred } from "../helpers/memory-transport.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";

const ESTABLISH_MS = 200;

test("a connection that never establishes a session is closed after establishTimeoutMs, not before", async (t) => {
  const closed = deferred<string>();
  const spy: Plugin = definePlugin({
    name: "close-spy",
    register(container) {
      container.resolve(Hooks).add("onConnectionClose", (_connection, reason) => closed.resolve(reason));
    },
  });
  const { port, close } = await startServer({ establishTimeoutMs: ESTABLISH_MS, sweepIntervalMs: 20 }, [
    { plugin: spy },
  ]);
  t.teardown(close);
  const startedAt = Date.now();
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.write([0xdf]);
  t.is((await client.next()).cmd, Command.HEARTBEAT, "heartbeats are answered, but do not establish");
  await client.waitClosed(5000);
  const elapsed = Date.now() - startedAt;
  t.true(elapsed >= ESTABLISH_MS - 1, `closed after ${elapsed} ms`);
  t.is(await closed.promise, "no session established in time");
});

test("a connection that goes away first leaves no deadline behind", async (t) => {
  const closed = deferred<void>();
  let wheel: TimerWheel | undefined;
  const spy: Plugin = definePlugin({
    name: "wheel-spy",
    register(container) {
      wheel = container.resolve(TimerWheel);
      container.resolve(Hooks).add("onConnectionClose", () => closed.resolve());
    },
  });
  const { port, close } = await startServer({ establishTimeoutMs: 60_000 }, [{ plugin: spy }]);
  t.teardown(close);
  // The server's own timers (the in-memory store's sweep) are there before any connection.
  const baseline = wheel?.scheduled ?? 0;
  const client = await RawClient.open(port);
  client.write([0xdf]);
  await client.next();
  t.is(wheel?.scheduled, baseline + 1);
  client.close();
  await closed.promise;
  t.is(wheel?.scheduled, baseline);
});
