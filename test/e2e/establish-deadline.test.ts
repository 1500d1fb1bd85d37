import "reflect-metadata";
import { once } from "node:events";
import { connect } from "node:net";
import test from "ava";
import { startHandshake } from "../../client/flows/handshake-flow.js";
import type { ServerConnection } from "../../core/connection/server-connection.js";
import { type Clock, Command, definePlugin, Hooks, type Plugin, systemClock, TimerWheel } from "../../core/index.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import { ANY_HEARTBEAT, DEVICE, pinnedKey } from "../helpers/session-peer.js";
import { deferred, eventually, sleep } from "../helpers/wait.js";

const ESTABLISH_MS = 200;
const ESTABLISH_LATER_MS = 60_000;

/** The system clock, with a steady clock the test steps forward. */
class SteppedClock implements Clock {
  private offsetMs = 0;

  now(): number {
    return systemClock.now();
  }

  steady(): number {
    return systemClock.steady() + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

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

test("a HANDSHAKE whose reply cannot be written (the peer does not read) still ends at the establish deadline", async (t) => {
  const closed = deferred<{ reason: string; encrypted: boolean; session: unknown }>();
  const spy: Plugin = definePlugin({
    name: "close-spy",
    register(container) {
      container.resolve(Hooks).add("onConnectionClose", (connection, reason) =>
        closed.resolve({
          reason,
          encrypted: (connection as ServerConnection).encrypted,
          session: connection.session,
        }),
      );
    },
  });
  // The deadline is passed by stepping the server's steady clock once the HANDSHAKE was handled: reading
  // the echoes below takes what the machine takes, and a deadline in real time could come first.
  const clock = new SteppedClock();
  const server = await startServer(
    {
      establishTimeoutMs: ESTABLISH_LATER_MS,
      sweepIntervalMs: 20,
      shutdownGraceMs: 100,
      // Room for every echo: reading goes on, so the HANDSHAKE is read and its reply queued behind them.
      maxOutboundBytes: 256 * 1024 * 1024,
    },
    [{ plugin: spy }],
    { clock },
  );
  t.teardown(server.close);
  const socket = connect(server.port, "127.0.0.1");
  t.teardown(() => socket.destroy());
  socket.on("error", () => {});
  await once(socket, "connect");
  socket.pause();
  // Far more echoes than the kernel buffers both ways hold: the reply to what follows stays in the server's queue.
  socket.write(Buffer.alloc(16 * 1024 * 1024, 0xdf));
  const flow = startHandshake(DEVICE, ANY_HEARTBEAT, pinnedKey(server.keyFile));
  socket.write(encodeFrame(Command.HANDSHAKE, 0, 1, flow.body));
  await eventually(() => {
    const [connection] = server.server.connections.values();
    return (connection as ServerConnection | undefined)?.encrypted ? true : undefined;
  }, 40_000);
  t.false(socket.destroyed);
  clock.advance(ESTABLISH_LATER_MS);
  const end = await Promise.race([closed.promise, sleep(10_000).then(() => undefined)]);
  if (end === undefined) return t.fail("still open 10 s after its establish deadline");
  t.is(end.reason, "no session established in time");
  t.true(end.encrypted, "the keys were switched on: the HANDSHAKE was handled, its reply not yet written");
  t.is(end.session, undefined);
});
