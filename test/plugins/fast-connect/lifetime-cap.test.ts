import "reflect-metadata";
import test from "ava";
import { ErrorCode } from "../../../core/protocol/index.js";
import { RawClient } from "../../helpers/raw-client.js";
import { ManualClock, startServer } from "../../helpers/server.js";
import { pinnedKey, rawHandshake, resumeOn, ticketOf } from "../../helpers/session-peer.js";

const TTL = 10_000;
const MAX_LIFETIME = 15_000;

test("session.maxLifetimeMs ends a chain that the sliding ttl alone would keep alive", async (t) => {
  const clock = new ManualClock();
  const server = await startServer({ session: { ttlMs: TTL, maxLifetimeMs: MAX_LIFETIME } }, [], { clock });
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const created = clock.now();
  const { session } = await rawHandshake(raw, pinnedKey(server.keyFile));
  t.true(Math.abs(session.expiresAtMs - (created + TTL)) < 1000);

  // 8 s in: now + ttl would be 18 s, the cap says 15 s.
  clock.advance(8000);
  const first = await resumeOn(server, ticketOf(session), clock.now());
  if (!first.session) return t.fail(`refused with ${first.code}`);
  t.true(Math.abs(first.hello.expiresAtMs - (created + MAX_LIFETIME)) < 1000, "expiry capped by the lifetime");
  t.true(first.hello.expiresAtMs < clock.now() + TTL);

  // 14 s in: still inside the cap, resumes, expiry stays at the cap.
  clock.advance(6000);
  const second = await resumeOn(server, ticketOf(first.session), clock.now());
  if (!second.session) return t.fail(`refused with ${second.code}`);
  t.is(second.hello.expiresAtMs, first.hello.expiresAtMs);

  // 15.5 s in: only 1.5 s after the last resume, far inside a sliding ttl, but past the cap.
  clock.advance(1500);
  t.is((await resumeOn(server, ticketOf(second.session), clock.now())).code, ErrorCode.SESSION_EXPIRED);
});
