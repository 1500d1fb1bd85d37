import "reflect-metadata";
import test from "ava";
import { RawClient } from "../helpers/raw-client.js";
import { RedisCluster } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import { handshakeOn, rawFastConnect, ticketOf } from "../helpers/session-peer.js";

test("a password-protected Redis Cluster: the password, given once in the URL, reaches every master", async (t) => {
  // Characters a URL must escape, so the decoding is exercised too.
  const cluster = await RedisCluster.start(3, { password: "p@ss:w/rd" });
  t.teardown(() => cluster.stop());
  // One seed: the other masters are known only from the cluster's own answer.
  const server = await startServer({ session: { store: cluster.storeUrl(1) } });
  t.teardown(server.close);
  for (let i = 0; i < 6; i++) {
    const session = await handshakeOn(server);
    t.regex(session.sessionId, /^[A-Za-z0-9_-]{24}$/, "stored: the handshake got a resumable id");
    const raw = await RawClient.open(server.port);
    t.teardown(() => raw.close());
    const resumed = await rawFastConnect(raw, ticketOf(session));
    t.not(resumed.session.sessionId, session.sessionId);
  }
  const perNode = await Promise.all(cluster.nodes.map(async (n) => (await n.dump()).size));
  t.true(perNode.filter((n) => n > 0).length >= 2, `keys on several masters: ${perNode}`);
});
