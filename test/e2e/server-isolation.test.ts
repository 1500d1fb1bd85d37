import "reflect-metadata";
import test from "ava";
import { Command, ConnectionRegistry, HEARTBEAT_POLICY, Hooks, TimerWheel } from "../../core/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";

test("two servers in one process share no container, registry, wheel or service", async (t) => {
  const a = await startServer({ heartbeat: { minMs: 10_000, maxMs: 20_000 } });
  const b = await startServer({ heartbeat: { minMs: 40_000, maxMs: 50_000 } });
  t.teardown(a.close);
  t.teardown(b.close);
  t.not(a.server.container, b.server.container);
  for (const token of [ConnectionRegistry, TimerWheel, Hooks, HEARTBEAT_POLICY] as const) {
    t.not(a.server.container.resolve<object>(token), b.server.container.resolve<object>(token), String(token));
  }
  t.is(a.server.container.resolve(ConnectionRegistry), a.server.connections);
  type Policy = { negotiate(b: { minMs: number; maxMs: number }): number };
  t.is(a.server.container.resolve<Policy>(HEARTBEAT_POLICY).negotiate({ minMs: 0, maxMs: 0 }), 20_000);
  t.is(b.server.container.resolve<Policy>(HEARTBEAT_POLICY).negotiate({ minMs: 0, maxMs: 0 }), 50_000);

  const client = await RawClient.open(a.port);
  t.teardown(() => client.close());
  client.write([0xdf]);
  await client.next();
  t.is(a.server.connections.size, 1);
  t.is(b.server.connections.size, 0);
});

test("closing one server leaves the other serving", async (t) => {
  const a = await startServer();
  const b = await startServer();
  t.teardown(b.close);
  await a.close();
  const client = await RawClient.open(b.port);
  t.teardown(() => client.close());
  client.write([0xdf]);
  t.is((await client.next()).cmd, Command.HEARTBEAT);
  await t.throwsAsync(RawClient.open(a.port));
});
