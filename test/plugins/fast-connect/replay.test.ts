import "reflect-metadata";
import test from "ava";
import { Command, ErrorCode, SESSION_STORE } from "../../../core/index.js";
import { ErrorReply } from "../../../core/protocol/index.js";
import { KeepingSessionStore, keepingStorePlugin } from "../../helpers/keeping-store.js";
import { RawClient } from "../../helpers/raw-client.js";
import { RedisServer } from "../../helpers/redis.js";
import { ManualClock, startServer } from "../../helpers/server.js";
import { errorCodeOf, fastConnectOn, fastConnectRequest, handshakeOn, ticketOf } from "../../helpers/session-peer.js";

const WINDOW = 5000;

test("a timestamp outside the window, past or future, is REPLAYED and does not consume the session", async (t) => {
  const server = await startServer({ session: { replayWindowMs: WINDOW } });
  t.teardown(server.close);
  const session = await handshakeOn(server);
  for (const skew of [-(WINDOW + 2000), WINDOW + 2000]) {
    const reply = await fastConnectOn(
      server,
      fastConnectRequest(ticketOf(session), { timestampMs: Date.now() + skew }).body,
    );
    t.is(errorCodeOf(reply), ErrorCode.REPLAYED, `skew ${skew}`);
    t.regex(ErrorReply.decode(reply.body).reason, /timestamp/);
  }
  const ok = await fastConnectOn(
    server,
    fastConnectRequest(ticketOf(session), { timestampMs: Date.now() - WINDOW / 2 }).body,
  );
  t.is(ok.cmd, Command.FAST_CONNECT);
});

test("a timestamp beyond ±(2^53 - 1) is MALFORMED_BODY, as protocol.md says, and consumes nothing", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const session = await handshakeOn(server);
  for (const timestampMs of [2 ** 53 + 2, -(2 ** 60)]) {
    const reply = await fastConnectOn(server, fastConnectRequest(ticketOf(session), { timestampMs }).body);
    t.is(errorCodeOf(reply), ErrorCode.MALFORMED_BODY, `timestamp ${timestampMs}`);
  }
  t.is((await fastConnectOn(server, fastConnectRequest(ticketOf(session)).body)).cmd, Command.FAST_CONNECT);
});

test("a reused nonce is REPLAYED even when the session is still in the store", async (t) => {
  // A store that never deletes: the rotated-away session stays, so only the nonce claim can refuse.
  const server = await startServer({ session: { replayWindowMs: WINDOW } }, [{ plugin: keepingStorePlugin }]);
  t.teardown(server.close);
  const store = server.server.container.resolve<KeepingSessionStore>(SESSION_STORE);
  t.true(store instanceof KeepingSessionStore);
  const session = await handshakeOn(server);
  const captured = fastConnectRequest(ticketOf(session)).body;

  t.is((await fastConnectOn(server, captured)).cmd, Command.FAST_CONNECT);
  t.is(store.deletes, 1, "the server tried to retire the old id");
  t.not(await store.get(session.sessionId), undefined, "the old session is still there");

  const replay = await fastConnectOn(server, captured);
  t.is(errorCodeOf(replay), ErrorCode.REPLAYED);
  t.regex(ErrorReply.decode(replay.body).reason, /already used/);
  // A fresh request (new nonce) for the same, still stored, session does go through: only the nonce was refused.
  t.is((await fastConnectOn(server, fastConnectRequest(ticketOf(session)).body)).cmd, Command.FAST_CONNECT);
});

test("a captured FAST_CONNECT replayed later is refused: SESSION_EXPIRED after rotation, REPLAYED once stale", async (t) => {
  const clock = new ManualClock();
  const server = await startServer({ session: { replayWindowMs: WINDOW } }, [], { clock });
  t.teardown(server.close);
  const session = await handshakeOn(server);
  const captured = fastConnectRequest(ticketOf(session), { timestampMs: clock.now() }).body;
  t.is((await fastConnectOn(server, captured)).cmd, Command.FAST_CONNECT);
  t.is(errorCodeOf(await fastConnectOn(server, captured)), ErrorCode.SESSION_EXPIRED);

  const kept = await startServer({ session: { replayWindowMs: WINDOW } }, [{ plugin: keepingStorePlugin }], { clock });
  t.teardown(kept.close);
  const other = await handshakeOn(kept);
  const old = fastConnectRequest(ticketOf(other), { timestampMs: clock.now() }).body;
  clock.advance(WINDOW + 1000);
  const late = await fastConnectOn(kept, old);
  t.is(errorCodeOf(late), ErrorCode.REPLAYED);
  t.regex(ErrorReply.decode(late.body).reason, /timestamp/);
});

test("two connections racing the same captured bytes: exactly one is resumed", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  for (let round = 0; round < 5; round++) {
    const session = await handshakeOn(server);
    const captured = fastConnectRequest(ticketOf(session)).body;
    const raws = await Promise.all([RawClient.open(server.port), RawClient.open(server.port)]);
    t.teardown(() => {
      for (const raw of raws) raw.close();
    });
    for (const raw of raws) raw.writeFrame(Command.FAST_CONNECT, 1, captured);
    const replies = await Promise.all(raws.map((raw) => raw.next()));
    const won = replies.filter((r) => r.cmd === Command.FAST_CONNECT);
    const lost = replies.map(errorCodeOf).filter((code) => code !== undefined);
    t.is(won.length, 1, `round ${round}`);
    t.is(lost.length, 1);
    t.true([ErrorCode.REPLAYED, ErrorCode.SESSION_EXPIRED].includes(lost[0] as ErrorCode));
  }
});

test("two concurrent resumes of one session, each with its own fresh nonce, do not fork the chain", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  for (let round = 0; round < 5; round++) {
    const session = await handshakeOn(server);
    const raws = await Promise.all([RawClient.open(server.port), RawClient.open(server.port)]);
    t.teardown(() => {
      for (const raw of raws) raw.close();
    });
    for (const raw of raws) raw.writeFrame(Command.FAST_CONNECT, 1, fastConnectRequest(ticketOf(session)).body);
    const replies = await Promise.all(raws.map((raw) => raw.next()));
    t.is(replies.filter((r) => r.cmd === Command.FAST_CONNECT).length, 1, `round ${round}: one resume only`);
    t.deepEqual(
      replies.map(errorCodeOf).filter((c) => c !== undefined),
      [ErrorCode.SESSION_EXPIRED],
    );
  }
});

test("the same, with two nodes on one Redis: a session is resumed at most once", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const a = await startServer({ session: { store: redis.url } });
  t.teardown(a.close);
  const b = await startServer({ keyFile: a.keyFile, session: { store: redis.url } });
  t.teardown(b.close);
  let forks = 0;
  for (let round = 0; round < 10; round++) {
    const session = await handshakeOn(a);
    const raws = await Promise.all([RawClient.open(a.port), RawClient.open(b.port)]);
    t.teardown(() => {
      for (const raw of raws) raw.close();
    });
    for (const raw of raws) raw.writeFrame(Command.FAST_CONNECT, 1, fastConnectRequest(ticketOf(session)).body);
    const replies = await Promise.all(raws.map((raw) => raw.next()));
    if (replies.filter((r) => r.cmd === Command.FAST_CONNECT).length !== 1) forks++;
  }
  t.is(forks, 0, "rounds in which both resumes succeeded");
});
