import "reflect-metadata";
import anyTest, { type TestFn } from "ava";
import { RedisCluster, RedisServer } from "../../helpers/redis.js";
import { startServer } from "../../helpers/server.js";
import { handshakeOn, resumeOn, ticketOf } from "../../helpers/session-peer.js";

const test = anyTest as TestFn<{ redis: RedisServer; cluster: RedisCluster }>;

test.before(async (t) => {
  const [redis, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start(3)]);
  t.context = { redis, cluster };
});

test.after.always(async (t) => {
  await Promise.all([t.context.redis?.stop(), t.context.cluster?.stop()]);
});

for (const kind of ["redis", "cluster"] as const) {
  const url = (t: { context: { redis: RedisServer; cluster: RedisCluster } }) =>
    kind === "redis" ? t.context.redis.url : t.context.cluster.storeUrl(2);

  test(`${kind}: the first burst of handshakes on a freshly started node all get resumable sessions`, async (t) => {
    // A node that just (re)started, and every client coming back at once: the store connects during the burst.
    const server = await startServer({ session: { store: url(t) } });
    t.teardown(server.close);
    const sessions = await Promise.all(Array.from({ length: 8 }, (_, i) => handshakeOn(server, { seq: i + 1 })));
    t.deepEqual(
      sessions.filter((s) => s.sessionId === "").length,
      0,
      "handshakes degraded to an empty session id while the store was connecting",
    );
  });

  test(`${kind}: the first burst of resumes on a freshly started node all succeed`, async (t) => {
    const maker = await startServer({ session: { store: url(t) } });
    t.teardown(maker.close);
    const sessions = [];
    for (let i = 0; i < 6; i++) sessions.push(await handshakeOn(maker, { device: { ...deviceOf(i) } }));
    const fresh = await startServer({ keyFile: maker.keyFile, session: { store: url(t) } });
    t.teardown(fresh.close);
    const resumed = await Promise.all(sessions.map((s, i) => resumeOn(fresh, ticketOf(s, deviceOf(i).deviceId))));
    t.deepEqual(
      resumed.map((r) => r.code),
      sessions.map(() => undefined),
    );
  });
}

function deviceOf(i: number) {
  return { deviceId: `burst-${i}`, osName: "android", osVersion: "14", clientVersion: "t" };
}
