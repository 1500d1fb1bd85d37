import "reflect-metadata";
import test from "ava";
import { ErrorCode } from "../../core/index.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import { DEVICE, handshakeOn, resumeOn, ticketOf } from "../helpers/session-peer.js";
import { eventually, sleep } from "../helpers/wait.js";

/** The same gaps on every run: a small linear congruential generator, not Math.random. */
function gaps(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

test("Redis stopped and restarted eight times under traffic: every answer is a documented one, one Redis connection serves, and nothing is left after close", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 300 } });
  t.teardown(server.close);
  const outcomes = new Map<string, number>();
  const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  let running = true;
  // One device per client: a device's new handshake would supersede its other clients' sessions.
  const client = async (index: number) => {
    const device = { ...DEVICE, deviceId: `flapping-${index}` };
    while (running) {
      try {
        const session = await handshakeOn(server, { device });
        if (session.sessionId === "") {
          count("handshake without a resumable id");
          continue;
        }
        const resumed = await resumeOn(server, ticketOf(session, device.deviceId));
        count(resumed.code === undefined ? "resumed" : (ErrorCode[resumed.code] ?? String(resumed.code)));
      } catch (error) {
        count(`failed: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(10);
      }
    }
  };
  const clients = Array.from({ length: 6 }, (_, index) => client(index));
  const next = gaps(20261126);
  for (let flap = 0; flap < 8; flap++) {
    await sleep(200 + next() * 1000);
    await redis.stop();
    await sleep(50 + next() * 800);
    await redis.restart();
  }
  // Service comes back: a handshake is stored and resumed again.
  const device = { ...DEVICE, deviceId: "after-the-flapping" };
  await eventually(
    async () => {
      const session = await handshakeOn(server, { device });
      if (session.sessionId === "") return undefined;
      return (await resumeOn(server, ticketOf(session, device.deviceId))).code === undefined ? true : undefined;
    },
    10_000,
    100,
  );
  running = false;
  await Promise.all(clients);
  t.log(Object.fromEntries(outcomes));
  // A session stored just before a restart is gone after it (the test's Redis keeps nothing on disk).
  const documented = ["resumed", "handshake without a resumable id", "STORE_UNAVAILABLE", "SESSION_EXPIRED"];
  t.deepEqual(
    [...outcomes.keys()].filter((outcome) => !documented.includes(outcome)),
    [],
  );
  t.true((outcomes.get("resumed") ?? 0) > 0);
  t.true((outcomes.get("handshake without a resumable id") ?? 0) > 0, "the outages were seen");
  const connections = async () =>
    (await redis.cli("CLIENT", "LIST")).split("\n").filter((l) => l !== "" && !l.includes("cmd=client|list"));
  t.is((await connections()).length, 1, "one Redis connection, however many reconnects");
  await server.close();
  // Past the longest reconnect backoff.
  await sleep(2500);
  t.deepEqual(await connections(), []);
});
