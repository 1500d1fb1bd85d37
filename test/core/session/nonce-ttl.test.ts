import "reflect-metadata";
import test from "ava";
import { Command, ErrorCode, type Rotation, SESSION_STORE } from "../../../core/index.js";
import { ErrorReply } from "../../../core/protocol/index.js";
import { KeepingSessionStore, wrappingStorePlugin } from "../../helpers/keeping-store.js";
import { RedisServer } from "../../helpers/redis.js";
import { startServer } from "../../helpers/server.js";
import { errorCodeOf, fastConnectOn, fastConnectRequest, handshakeOn, ticketOf } from "../../helpers/session-peer.js";

const WINDOW = 2000;

/** The keeping store (a rotated-away session stays resumable), recording the nonce TTL of every rotation. */
class RecordingStore extends KeepingSessionStore {
  readonly nonceTtls: number[] = [];

  override rotate(rotation: Rotation) {
    this.nonceTtls.push(rotation.nonceTtlMs);
    return super.rotate(rotation);
  }
}

const recordingStore = wrappingStorePlugin("test-recording-store", (inner) => new RecordingStore(inner));

test("a nonce stays claimed for as long as its timestamp is acceptable: twice the replay window", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const server = await startServer({ session: { store: redis.url, replayWindowMs: WINDOW } }, [
    { plugin: recordingStore },
  ]);
  t.teardown(server.close);
  const store = server.server.container.resolve<RecordingStore>(SESSION_STORE);
  t.true(store instanceof RecordingStore);
  const session = await handshakeOn(server);
  // Stamped at the far edge of the window: the server accepts it until 2 windows from now, less 1 ms.
  const captured = fastConnectRequest(ticketOf(session), { timestampMs: Date.now() + WINDOW - 1 }).body;
  t.is((await fastConnectOn(server, captured)).cmd, Command.FAST_CONNECT);
  t.deepEqual(store.nonceTtls, [2 * WINDOW]);

  // 1.5 windows on (Redis expires by real time): the timestamp still passes, so only the nonce can refuse.
  await new Promise((resolve) => setTimeout(resolve, 1.5 * WINDOW));
  const replay = await fastConnectOn(server, captured);
  t.is(errorCodeOf(replay), ErrorCode.REPLAYED);
  t.regex(ErrorReply.decode(replay.body).reason, /already used/);
});
