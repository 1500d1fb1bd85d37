import "reflect-metadata";
import { randomBytes } from "node:crypto";
import anyTest, { type TestFn } from "ava";
import { Command, ErrorCode, SESSION_STORE, type SessionStore } from "../../core/index.js";
import { ErrorReply } from "../../core/protocol/index.js";
import { keepingStorePlugin } from "../helpers/keeping-store.js";
import { RawClient } from "../helpers/raw-client.js";
import { RedisCluster } from "../helpers/redis.js";
import { leaks, spellings } from "../helpers/secrets-at-rest.js";
import { startServer } from "../helpers/server.js";
import {
  DEVICE,
  errorCodeOf,
  fastConnectOn,
  fastConnectRequest,
  handshakeOn,
  rawFastConnect,
  ticketOf,
} from "../helpers/session-peer.js";

const test = anyTest as TestFn<{ cluster: RedisCluster }>;

test.before(async (t) => {
  t.context = { cluster: await RedisCluster.start(3) };
});

test.after.always(async (t) => {
  await t.context.cluster?.stop();
});

test.serial(
  "HANDSHAKE and FAST_CONNECT through redis+cluster://, records and nonce claims spread over the masters",
  async (t) => {
    const { cluster } = t.context;
    await Promise.all(cluster.nodes.map((n) => n.cli("FLUSHALL")));
    const server = await startServer({ session: { store: cluster.storeUrl(2) } });
    t.teardown(server.close);
    const sessions = [];
    for (let i = 0; i < 6; i++) {
      const session = await handshakeOn(server);
      t.regex(session.sessionId, /^[A-Za-z0-9_-]{24}$/);
      const raw = await RawClient.open(server.port);
      t.teardown(() => raw.close());
      const resumed = await rawFastConnect(raw, ticketOf(session));
      t.not(resumed.session.sessionId, session.sessionId);
      t.is(
        errorCodeOf(await fastConnectOn(server, fastConnectRequest(ticketOf(session)).body)),
        ErrorCode.SESSION_EXPIRED,
      );
      sessions.push(session, resumed.session);
    }
    const dump = await cluster.dump();
    const records = [...dump.keys()].filter((k) => k.startsWith("mpush::s:"));
    const nonces = [...dump.keys()].filter((k) => k.startsWith("mpush::n:"));
    t.is(records.length, 6, "one live record per chain: the rotated-away ones were deleted");
    t.is(nonces.length, 6, "one nonce claim per resume");
    const perNode = await Promise.all(cluster.nodes.map(async (n) => (await n.dump()).size));
    t.true(perNode.filter((n) => n > 0).length >= 2, `keys on several masters: ${perNode}`);
    for (const key of nonces) {
      // "1" as written by SET NX PX, not a Keyv JSON envelope: the atomic path was taken.
      t.is(dump.get(key)?.toString(), "1");
      const ttl = await cluster.pttl(key);
      t.true(ttl > 0 && ttl <= 2 * server.config.session.replayWindowMs, `${key}: PTTL ${ttl}`);
    }
    const needles = [
      ...spellings("device id", DEVICE.deviceId),
      ...sessions.flatMap((s, i) => [
        ...spellings(`id ${i}`, s.sessionId),
        ...spellings(`secret ${i}`, s.secrets.sessionSecret),
      ]),
    ];
    t.deepEqual(leaks([...dump.keys(), ...dump.values()], needles), []);
  },
);

test.serial(
  "the nonce claim is a SET NX on the cluster: a reused nonce is REPLAYED even with the session kept",
  async (t) => {
    const { cluster } = t.context;
    const server = await startServer({ session: { store: cluster.storeUrl(1) } }, [{ plugin: keepingStorePlugin }]);
    t.teardown(server.close);
    const session = await handshakeOn(server);
    const captured = fastConnectRequest(ticketOf(session)).body;
    t.is((await fastConnectOn(server, captured)).cmd, Command.FAST_CONNECT);
    const replay = await fastConnectOn(server, captured);
    t.is(errorCodeOf(replay), ErrorCode.REPLAYED);
    t.regex(ErrorReply.decode(replay.body).reason, /already used/);

    // The store's claim directly: many nonces (so many slots), each claimable exactly once.
    const store = server.server.container.resolve<SessionStore>(SESSION_STORE);
    for (let i = 0; i < 20; i++) {
      const nonce = randomBytes(32);
      const results = await Promise.all([store.claimNonce(nonce, 60_000), store.claimNonce(nonce, 60_000)]);
      t.is(results.filter(Boolean).length, 1);
    }
  },
);

test.serial(
  "two server instances on one cluster: a session made on one resumes on the other, and a race has one winner",
  async (t) => {
    const { cluster } = t.context;
    const a = await startServer({ session: { store: cluster.storeUrl(1) } });
    t.teardown(a.close);
    const keyFile = a.keyFile;
    const b = await startServer({ keyFile, session: { store: `redis+cluster://127.0.0.1:${cluster.nodes[2]?.port}` } });
    t.teardown(b.close);
    const session = await handshakeOn(a);
    const captured = fastConnectRequest(ticketOf(session)).body;
    const raws = await Promise.all([RawClient.open(a.port), RawClient.open(b.port)]);
    t.teardown(() => {
      for (const raw of raws) raw.close();
    });
    for (const raw of raws) raw.writeFrame(Command.FAST_CONNECT, 1, captured);
    const replies = await Promise.all(raws.map((raw) => raw.next()));
    t.is(replies.filter((r) => r.cmd === Command.FAST_CONNECT).length, 1);
    const lost = replies.map(errorCodeOf).find((c) => c !== undefined);
    t.true([ErrorCode.REPLAYED, ErrorCode.SESSION_EXPIRED].includes(lost as ErrorCode), `lost with ${lost}`);
  },
);
