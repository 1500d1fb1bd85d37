import "reflect-metadata";
import test from "ava";
import type { EstablishedSession } from "../../../client/index.js";
import { ErrorCode } from "../../../core/protocol/index.js";
import { RawClient } from "../../helpers/raw-client.js";
import { ManualClock, startServer } from "../../helpers/server.js";
import { pinnedKey, rawFastConnect, rawHandshake, resumeOn, ticketOf } from "../../helpers/session-peer.js";

test("each FAST_CONNECT rotates the id and the secret; the presented id answers SESSION_EXPIRED afterwards", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  let session: EstablishedSession = (await rawHandshake(raw, pinnedKey(server.keyFile))).session;
  const ids = [session.sessionId];
  for (let i = 0; i < 3; i++) {
    const previous = session;
    const next = await resumeOn(server, ticketOf(previous));
    if (!next.session) return t.fail(`resume ${i} refused with ${next.code}`);
    session = next.session;
    t.regex(session.sessionId, /^[A-Za-z0-9_-]{24}$/);
    t.notDeepEqual(session.secrets.sessionSecret, previous.secrets.sessionSecret);
    ids.push(session.sessionId);
    // The old id is gone, even with its genuine secret and a fresh nonce.
    t.is((await resumeOn(server, ticketOf(previous))).code, ErrorCode.SESSION_EXPIRED);
    // The old secret does not open the new id either.
    t.is(
      (await resumeOn(server, { ...ticketOf(session), sessionSecret: previous.secrets.sessionSecret })).code,
      ErrorCode.BAD_PROOF,
    );
  }
  t.is(new Set(ids).size, ids.length);
});

test("rotation slides the expiry: a resume later in the chain expires later", async (t) => {
  const clock = new ManualClock();
  const ttl = 60_000;
  const server = await startServer({ session: { ttlMs: ttl, maxLifetimeMs: 10 * ttl } }, [], { clock });
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const start = await rawHandshake(raw, pinnedKey(server.keyFile));
  clock.advance(30_000);
  const next = await resumeOn(server, ticketOf(start.session), clock.now());
  if (!next.hello) return t.fail(`refused with ${next.code}`);
  t.true(Math.abs(next.hello.expiresAtMs - (clock.now() + ttl)) < 2000);
  t.true(next.hello.expiresAtMs >= start.session.expiresAtMs + 29_000);
});

test("the session set on the resumed connection carries the new id", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const first = await RawClient.open(server.port);
  t.teardown(() => first.close());
  const { session } = await rawHandshake(first, pinnedKey(server.keyFile));
  const second = await RawClient.open(server.port);
  t.teardown(() => second.close());
  const resumed = await rawFastConnect(second, ticketOf(session));
  const sessions = [...server.server.connections.values()].map((c) => c.session);
  t.truthy(sessions.find((s) => s?.resumed && s.sessionId === resumed.session.sessionId));
  t.truthy(sessions.find((s) => !s?.resumed && s?.sessionId === session.sessionId));
});
