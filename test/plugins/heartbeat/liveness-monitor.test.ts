import "reflect-metadata";
import test from "ava";
import { container as root } from "tsyringe";
import {
  CONFIG,
  type Connection,
  DEFAULT_CONFIG,
  Hooks,
  type Plugin,
  type ServerConfig,
  type SessionContext,
  TimerWheel,
} from "../../../core/index.js";
import heartbeatPlugin from "../../../plugins/heartbeat/index.js";
import { LivenessMonitor } from "../../../plugins/heartbeat/liveness-monitor.js";

const TICK = 100;
const INTERVAL = 10_000;
const MAX_MISSED = 3;
const GRACE = 1_000;
const LIMIT = INTERVAL * MAX_MISSED + GRACE;
const T0 = 1_700_000_000_000;

const config: ServerConfig = {
  ...DEFAULT_CONFIG,
  heartbeat: { minMs: 5_000, maxMs: 60_000, maxMissed: MAX_MISSED, graceMs: GRACE },
};

const session = (heartbeatMs: number): SessionContext => ({
  deviceId: "d",
  osName: "",
  osVersion: "",
  clientVersion: "",
  heartbeatMs,
  sessionId: "s",
  expiresAt: 0,
  resumed: false,
});

interface FakeConnection extends Connection {
  lastReadAt: number;
  isOpen: boolean;
  closedWith: string[];
}

function connection(lastReadAt: number, heartbeatMs: number | null = INTERVAL): FakeConnection {
  const c = {
    id: "c1",
    transport: "fake",
    remoteAddress: "fake",
    openedAt: lastReadAt,
    lastReadAt,
    session: heartbeatMs === null ? undefined : session(heartbeatMs),
    isOpen: true,
    closedWith: [] as string[],
    send: () => {},
    sendHeartbeat: () => {},
    nextSeq: () => 1,
    close(reason: string) {
      c.closedWith.push(reason);
      c.isOpen = false;
    },
  };
  return c;
}

function setup() {
  let now = T0;
  const wheel = new TimerWheel(TICK, () => now);
  const monitor = new LivenessMonitor(wheel, config);
  const advanceTo = (at: number) => {
    now = at;
    wheel.advance(at);
  };
  return { wheel, monitor, advanceTo };
}

test("a silent connection is closed after maxMissed intervals plus grace, and not before", (t) => {
  const { monitor, advanceTo } = setup();
  const c = connection(T0);
  monitor.watch(c);
  for (let at = T0; at < T0 + LIMIT; at += TICK) {
    advanceTo(at);
    if (c.closedWith.length > 0) t.fail(`closed after ${at - T0} ms of silence`);
  }
  advanceTo(T0 + LIMIT);
  t.deepEqual(c.closedWith, [`no heartbeat for ${MAX_MISSED} intervals`]);
});

test("any inbound activity moves the deadline", (t) => {
  const { monitor, advanceTo } = setup();
  const c = connection(T0);
  monitor.watch(c);
  advanceTo(T0 + 20_000);
  c.lastReadAt = T0 + 20_000;
  advanceTo(T0 + LIMIT + TICK);
  t.deepEqual(c.closedWith, [], "the first deadline passed, but the peer spoke since");
  advanceTo(T0 + 20_000 + LIMIT - TICK);
  t.deepEqual(c.closedWith, []);
  advanceTo(T0 + 20_000 + LIMIT);
  t.is(c.closedWith.length, 1);
});

test("the interval is the session's negotiated heartbeat", (t) => {
  const { monitor, advanceTo } = setup();
  const fast = connection(T0, 2_000);
  monitor.watch(fast);
  advanceTo(T0 + 2_000 * MAX_MISSED + GRACE - TICK);
  t.deepEqual(fast.closedWith, []);
  advanceTo(T0 + 2_000 * MAX_MISSED + GRACE);
  t.is(fast.closedWith.length, 1);
});

test("without a session the server's max heartbeat is the interval", (t) => {
  const { monitor, advanceTo } = setup();
  const c = connection(T0, null);
  monitor.watch(c);
  const limit = config.heartbeat.maxMs * MAX_MISSED + GRACE;
  advanceTo(T0 + limit - TICK);
  t.deepEqual(c.closedWith, []);
  advanceTo(T0 + limit);
  t.is(c.closedWith.length, 1);
});

test("an unwatched connection is never closed and leaves no timer", (t) => {
  const { wheel, monitor, advanceTo } = setup();
  const c = connection(T0);
  monitor.watch(c);
  t.is(wheel.scheduled, 1);
  monitor.unwatch(c);
  monitor.unwatch(c);
  t.is(wheel.scheduled, 0);
  advanceTo(T0 + 10 * LIMIT);
  t.deepEqual(c.closedWith, []);
});

test("a connection closed meanwhile is not closed again", (t) => {
  const { wheel, monitor, advanceTo } = setup();
  const c = connection(T0);
  monitor.watch(c);
  c.isOpen = false;
  advanceTo(T0 + 2 * LIMIT);
  t.deepEqual(c.closedWith, []);
  t.is(wheel.scheduled, 0);
});

test("the heartbeat plugin watches established sessions and forgets closed connections", (t) => {
  let now = T0;
  const wheel = new TimerWheel(TICK, () => now);
  const hooks = new Hooks();
  const container = root.createChildContainer();
  container.registerInstance(CONFIG, config);
  container.registerInstance(TimerWheel, wheel);
  container.registerInstance(Hooks, hooks);
  (heartbeatPlugin as Plugin).register(container, { config, options: undefined, log: undefined as never });

  const watched = connection(T0);
  const closedEarly = connection(T0);
  for (const hook of hooks.get("onSessionEstablished")) {
    hook(watched, watched.session as SessionContext);
    hook(closedEarly, closedEarly.session as SessionContext);
  }
  t.is(wheel.scheduled, 2);
  for (const hook of hooks.get("onConnectionClose")) hook(closedEarly, "peer closed");
  t.is(wheel.scheduled, 1);
  now = T0 + LIMIT;
  wheel.advance(now);
  t.is(watched.closedWith.length, 1);
  t.deepEqual(closedEarly.closedWith, []);
});
