import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { Command } from "../../core/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import { eventually } from "../helpers/wait.js";

async function heartbeatAnswered(client: RawClient): Promise<boolean> {
  client.write([0xdf]);
  return (await client.next()).cmd === Command.HEARTBEAT;
}

test("past maxConnections a newcomer is closed before any byte; the others are served, and room is made again by a close", async (t) => {
  const logs: { msg: string; maxConnections?: number; suppressed?: number; remote?: string }[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const { server, port, close } = await startServer({ maxConnections: 2 }, [], { logger });
  t.teardown(close);

  const first = await RawClient.open(port);
  const second = await RawClient.open(port);
  t.teardown(() => first.close());
  t.teardown(() => second.close());
  t.true(await heartbeatAnswered(first));
  t.true(await heartbeatAnswered(second));

  const third = await RawClient.open(port);
  t.teardown(() => third.close());
  third.write([0xdf]);
  await third.waitClosed();
  t.deepEqual(third.packets, [], "the refused connection got nothing");
  t.is(server.connections.size, 2);
  t.true(await heartbeatAnswered(first), "the held connections are still served");
  t.true(await heartbeatAnswered(second));
  const refusals = logs.filter((l) => l.msg === "connection refused: server at maxConnections");
  t.is(refusals.length, 1);
  t.is(refusals[0]?.maxConnections, 2);
  t.is(refusals[0]?.remote, "127.0.0.1", "the refused peer is named");

  first.close();
  await eventually(() => (server.connections.size === 1 ? true : undefined));
  const fourth = await RawClient.open(port);
  t.teardown(() => fourth.close());
  t.true(await heartbeatAnswered(fourth), "a close makes room for the next connection");
});

test("refusals in a storm are logged once per interval, and the held connection is still served", async (t) => {
  const logs: { msg: string; suppressed?: number }[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const { port, close } = await startServer({ maxConnections: 1 }, [], { logger });
  t.teardown(close);
  const held = await RawClient.open(port);
  t.teardown(() => held.close());
  t.true(await heartbeatAnswered(held));
  const refused = await Promise.all(Array.from({ length: 20 }, () => RawClient.open(port)));
  await Promise.all(refused.map((c) => c.waitClosed()));
  t.is(logs.filter((l) => l.msg === "connection refused: server at maxConnections").length, 1);
  t.true(await heartbeatAnswered(held));
});
