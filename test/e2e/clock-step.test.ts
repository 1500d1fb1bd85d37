import "reflect-metadata";
import test from "ava";
import { RawClient } from "../helpers/raw-client.js";
import { clientOf } from "../helpers/sdk-client.js";
import { ManualClock, startServer } from "../helpers/server.js";
import { sleep } from "../helpers/wait.js";

test("the wall clock stepped an hour forward closes no connection as idle", async (t) => {
  const clock = new ManualClock();
  const server = await startServer({ sweepIntervalMs: 20 }, [], { clock });
  t.teardown(server.close);
  const client = clientOf(server);
  t.teardown(() => client.close());
  const lost: string[] = [];
  client.on("disconnected", (reason: string) => lost.push(reason));
  await client.connect();
  clock.advance(60 * 60 * 1000);
  await sleep(300);
  t.deepEqual(lost, []);
  t.is(server.server.connections.size, 1);
});

test("the wall clock stepped an hour back still closes a connection at its establish deadline", async (t) => {
  const clock = new ManualClock();
  const server = await startServer({ sweepIntervalMs: 20, establishTimeoutMs: 200 }, [], { clock });
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  clock.advance(-60 * 60 * 1000);
  await t.notThrowsAsync(raw.waitClosed(5000));
});
