import "reflect-metadata";
import test from "ava";
import { RawClient } from "../helpers/raw-client.js";
import { clientOf } from "../helpers/sdk-client.js";
import { startServer } from "../helpers/server.js";
import { pinnedKey, rawHandshake } from "../helpers/session-peer.js";
import { eventually, sleep } from "../helpers/wait.js";

const HEARTBEAT = { minMs: 1000, maxMs: 1000, maxMissed: 2, graceMs: 100 };

test("an idle MPushClient stays connected well past maxMissed x interval: its heartbeats keep it alive", async (t) => {
  const server = await startServer({ heartbeat: HEARTBEAT, sweepIntervalMs: 100 });
  t.teardown(server.close);
  const client = clientOf(server);
  t.teardown(() => client.close());
  let disconnected = false;
  client.on("disconnected", () => {
    disconnected = true;
  });
  const outcome = await client.connect();
  t.is(outcome.heartbeatMs, 1000);
  const [connection] = [...server.server.connections.values()];
  const seen: number[] = [];
  for (let i = 0; i < 7; i++) {
    await sleep(500);
    seen.push(connection?.lastReadAt ?? 0);
  }
  // 3.5 s idle against a 2 x 1 s + 0.1 s limit.
  t.false(disconnected);
  t.true(client.isConnected);
  t.true(connection?.isOpen);
  t.is(server.server.connections.size, 1);
  t.true(new Set(seen).size >= 3, "the server kept hearing from the client");
  t.true(Date.now() - (connection?.lastReadAt ?? 0) < 1300);
});

test("a silent established connection is closed by the server after maxMissed intervals, not before", async (t) => {
  const server = await startServer({ heartbeat: HEARTBEAT, sweepIntervalMs: 100 });
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const { session } = await rawHandshake(raw, pinnedKey(server.keyFile));
  t.is(session.heartbeatMs, 1000);
  const silentSince = Date.now();
  await raw.waitClosed(5000);
  const after = Date.now() - silentSince;
  t.true(after >= 2000, `closed after ${after} ms`);
  t.true(after < 2000 + 100 + 2 * 100 + 500, `closed after ${after} ms`);
  await eventually(() => (server.server.connections.size === 0 ? true : undefined), 1000).catch(() => {});
  t.is(server.server.connections.size, 0, "the server dropped it from its registry");
});

test("a raw peer that only sends 0xDF every interval is kept", async (t) => {
  const server = await startServer({ heartbeat: HEARTBEAT, sweepIntervalMs: 100 });
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  await rawHandshake(raw, pinnedKey(server.keyFile));
  for (let i = 0; i < 4; i++) {
    await sleep(900);
    raw.write([0xdf]);
  }
  await sleep(300);
  t.false(raw.closed);
  t.true(raw.packets.length >= 4, "every heartbeat was echoed");
});
