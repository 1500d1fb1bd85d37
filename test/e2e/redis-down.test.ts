import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { Command, definePlugin, ErrorCode, HANDLERS, Hooks, type SessionContext } from "../../core/index.js";
import { OkReply } from "../../core/protocol/index.js";
import { ECHO, withEcho } from "../helpers/echo-plugin.js";
import { RawClient, rawOpener } from "../helpers/raw-client.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import {
  errorCodeOf,
  fastConnectRequest,
  pinnedKey,
  rawFastConnect,
  rawHandshake,
  type SealedChannel,
  sendFastConnect,
  ticketOf,
} from "../helpers/session-peer.js";
import { eventually, sleep } from "../helpers/wait.js";

async function echo(channel: SealedChannel, seq: number, text: string): Promise<string> {
  channel.write(ECHO, seq, Buffer.from(text));
  const reply = await channel.next();
  if (reply.cmd !== Command.OK) throw new Error(`expected OK, got cmd ${reply.cmd}`);
  return OkReply.decode(reply.body).data;
}

test("Redis down: FAST_CONNECT answers STORE_UNAVAILABLE, HANDSHAKE degrades to an empty id, live connections are served; after a restart on the same port sessions are stored and resumed again", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const established: SessionContext[] = [];
  const spy = definePlugin({
    name: "established-spy",
    register: (container) => container.resolve(Hooks).add("onSessionEstablished", (_c, s) => established.push(s)),
  });
  const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 300 } }, [
    ...withEcho,
    { plugin: spy },
  ]);
  t.teardown(server.close);
  const key = pinnedKey(server.keyFile);
  const open = rawOpener(t, server.port);

  // Up: a live connection, and a stored session to try later.
  const live = await rawHandshake(await open(), key);
  t.regex(live.session.sessionId, /^[A-Za-z0-9_-]{24}$/);
  t.true((await echo(live.channel, 2, "before")).endsWith("|before"));
  const stored = await rawHandshake(await open(), key);

  await redis.stop();
  // Long enough for the Redis client to fail several reconnects and back off.
  await sleep(1500);

  // FAST_CONNECT: STORE_UNAVAILABLE (110), fast, and the connection stays open.
  const resumer = await open();
  const started = Date.now();
  const refused = await sendFastConnect(resumer, fastConnectRequest(ticketOf(stored.session)).body);
  t.is(errorCodeOf(refused), ErrorCode.STORE_UNAVAILABLE);
  t.is(ErrorCode.STORE_UNAVAILABLE as number, 110);
  t.true(Date.now() - started < 2000, "bounded by storeTimeoutMs, not a hang");
  resumer.write([0xdf]);
  t.is((await resumer.next()).cmd, Command.HEARTBEAT);

  // HANDSHAKE: succeeds, without a resumable id; the connection is fully usable.
  const degraded = await rawHandshake(await open(), key);
  t.is(degraded.session.sessionId, "");
  t.is(degraded.session.expiresAtMs, 0);
  // The server's own view says the same: no id, and no expiry for a session that was never stored.
  t.like(established.at(-1), { sessionId: undefined, expiresAt: 0, resumed: false });
  t.true((await echo(degraded.channel, 2, "degraded")).startsWith("|false|"));

  // The connection established before the outage is still served, repeatedly.
  for (let i = 0; i < 3; i++) t.true((await echo(live.channel, 3 + i, `during ${i}`)).endsWith(`|during ${i}`));

  // The same server recovers once Redis is back on the same port (the old data is gone: no persistence).
  await redis.restart();
  const recovered = await eventually(
    async () => {
      const raw = await open();
      const attempt = await rawHandshake(raw, key);
      raw.close();
      return attempt.session.sessionId !== "" ? attempt.session : undefined;
    },
    10_000,
    200,
  );
  t.regex(recovered.sessionId, /^[A-Za-z0-9_-]{24}$/);
  const resumed = await rawFastConnect(await open(), ticketOf(recovered));
  t.not(resumed.session.sessionId, recovered.sessionId);
  t.true((await echo(resumed.channel, 2, "after")).includes("|true|after"));
  // The pre-outage session did not survive a Redis without persistence: refused cleanly, not with an error.
  const lost = await sendFastConnect(await open(), fastConnectRequest(ticketOf(stored.session)).body);
  t.is(errorCodeOf(lost), ErrorCode.SESSION_EXPIRED);
  t.true((await echo(live.channel, 9, "after")).endsWith("|after"));
});

test("Redis unreachable from the start: the server boots, handshakes degrade, FAST_CONNECT is STORE_UNAVAILABLE, and Redis appearing later is used", async (t) => {
  const redis = await RedisServer.start();
  await redis.stop(); // a port that was just free: nothing listens there now
  const lines: { msg: string; level: number }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 300 } }, withEcho, { logger });
  t.true(
    lines.some((line) => line.level === 40 && /does not answer at boot/.test(line.msg)),
    "said at boot",
  );
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const { session, channel } = await rawHandshake(raw, pinnedKey(server.keyFile));
  t.is(session.sessionId, "");
  t.true((await echo(channel, 2, "x")).endsWith("|x"));
  const other = await RawClient.open(server.port);
  t.teardown(() => other.close());
  const ticket = { sessionId: "A".repeat(24), sessionSecret: Buffer.alloc(32), deviceId: "d" };
  t.is(errorCodeOf(await sendFastConnect(other, fastConnectRequest(ticket).body)), ErrorCode.STORE_UNAVAILABLE);

  await redis.restart();
  t.teardown(() => redis.stop());
  const stored = await eventually(
    async () => {
      const probe = await RawClient.open(server.port);
      t.teardown(() => probe.close());
      const attempt = await rawHandshake(probe, pinnedKey(server.keyFile));
      return attempt.session.sessionId !== "" ? attempt.session : undefined;
    },
    10_000,
    200,
  );
  const again = await RawClient.open(server.port);
  t.teardown(() => again.close());
  await t.notThrowsAsync(rawFastConnect(again, ticketOf(stored)));
  // The end of the outage is said, once.
  t.is(lines.filter((line) => line.msg === "session store answers again").length, 1);
});

test("a node without traffic says when its store answers again: it reads the store every 5 s while it fails", async (t) => {
  const redis = await RedisServer.start();
  await redis.stop();
  const lines: { msg: string; level: number }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 300 } }, [], { logger });
  t.teardown(server.close);
  t.true(lines.some((line) => /does not answer at boot/.test(line.msg)));
  await redis.restart();
  t.teardown(() => redis.stop());
  // No client connects: only the probe can see the store answer.
  await eventually(
    () => (lines.some((line) => line.msg === "session store answers again") ? true : undefined),
    15_000,
    200,
  );
  t.is(lines.filter((line) => line.msg === "session store answers again").length, 1);
});

test("a boot that fails after the store was opened leaves nothing behind: Redis coming back gets no client from it", async (t) => {
  const redis = await RedisServer.start();
  await redis.stop();
  class Undeclared {
    handle() {
      return undefined;
    }
  }
  const broken = definePlugin({
    name: "broken",
    register: (container) => {
      container.register(HANDLERS, { useClass: Undeclared });
    },
  });
  await t.throwsAsync(startServer({ session: { store: redis.url, storeTimeoutMs: 300 } }, [{ plugin: broken }]), {
    message: /Undeclared/,
  });
  await redis.restart();
  t.teardown(() => redis.stop());
  // Past the 5 s at which a store left failing would have probed again.
  await sleep(6500);
  const clients = (await redis.cli("CLIENT", "LIST")).split("\n").filter((line) => !line.includes("cmd=client"));
  t.deepEqual(clients, []);
});
