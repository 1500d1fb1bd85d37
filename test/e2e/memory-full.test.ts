import "reflect-metadata";
import test from "ava";
import type { Keyv } from "keyv";
import { pino } from "pino";
import { systemClock } from "../../core/runtime/clock.js";
import { TimerWheel } from "../../core/runtime/timer-wheel.js";
import { KEYV } from "../../core/session/keyv-factory.js";
import { rawOpener } from "../helpers/raw-client.js";
import { ManualClock, startServer } from "../helpers/server.js";
import { DEVICE, pinnedKey, rawFastConnect, rawHandshake, ticketOf } from "../helpers/session-peer.js";

test("the in-process store at memoryMaxEntries: HANDSHAKE serves without a resumable id and says why in the log, resumes go on", async (t) => {
  const logs: { msg: string; err?: { message?: string } }[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  // Each handshake stores two entries: its record and its device's pointer.
  const server = await startServer({ session: { memoryMaxEntries: 4 } }, [], { logger });
  t.teardown(server.close);
  const key = pinnedKey(server.keyFile);
  const open = rawOpener(t, server.port);
  const device = (deviceId: string) => ({ device: { ...DEVICE, deviceId } });

  const a = await rawHandshake(await open(), key, device("phone-a"));
  const b = await rawHandshake(await open(), key, device("phone-b"));
  t.regex(a.session.sessionId, /^[A-Za-z0-9_-]{24}$/);
  t.regex(b.session.sessionId, /^[A-Za-z0-9_-]{24}$/);

  // Full: a new device still gets a working connection, without a session to resume.
  const c = await rawHandshake(await open(), key, device("phone-c"));
  t.is(c.session.sessionId, "");
  const logged = logs.find((l) => l.msg === "session not stored; handshakes continue without resumption");
  t.regex(logged?.err?.message ?? "", /in-process store holds its maximum of 4 entries/);

  // Resumes replace their record, so they go on at the maximum, rotation included.
  const resumed = await rawFastConnect(await open(), ticketOf(a.session, "phone-a"));
  t.not(resumed.session.sessionId, a.session.sessionId);
  const again = await rawFastConnect(await open(), ticketOf(resumed.session, "phone-a"));
  t.regex(again.session.sessionId, /^[A-Za-z0-9_-]{24}$/);
  const other = await rawFastConnect(await open(), ticketOf(b.session, "phone-b"));
  t.regex(other.session.sessionId, /^[A-Za-z0-9_-]{24}$/);
});

test("the in-process store is swept once a minute, a slice per tick: expired records leave, live entries stay", async (t) => {
  const clock = new ManualClock();
  const server = await startServer({ session: { ttlMs: 60_000 } }, [], { clock });
  t.teardown(server.close);
  const wheel = server.server.container.resolve(TimerWheel);
  const keyv = server.server.container.resolve<Keyv>(KEYV);
  await rawHandshake(await rawOpener(t, server.port)(), pinnedKey(server.keyFile));
  const map = keyv.store as Map<string, unknown>;
  t.is(map.size, 2, "the record and the device's pointer");
  // Past the record's TTL by the wall clock; the pointer lives as long as any chain can.
  clock.advance(120_000);
  t.is(map.size, 2, "nothing leaves before the sweep");
  wheel.advance(systemClock.steady() + 61_000);
  t.is(map.size, 1);
});
