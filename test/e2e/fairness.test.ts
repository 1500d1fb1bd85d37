import "reflect-metadata";
import test from "ava";
import { FRAMES_PER_TURN } from "../../core/connection/server-connection.js";
import { type CommandHandler, definePlugin, Handles, ok, type Reply, registerHandlers } from "../../core/index.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import { eventually } from "../helpers/wait.js";

/** Turns of the event loop, as the test sees them: one per check phase. */
function turnCounter() {
  const counter = { turn: 0, running: true };
  const tick = () => {
    counter.turn++;
    if (counter.running) setImmediate(tick);
  };
  setImmediate(tick);
  return counter;
}

test("over real TCP, one connection's burst is handled at most FRAMES_PER_TURN frames per turn of the event loop", async (t) => {
  const turns = turnCounter();
  const perTurn = new Map<number, number>();
  @Handles(200, { access: "public" })
  class CountingHandler implements CommandHandler<Buffer> {
    handle(): Reply {
      perTurn.set(turns.turn, (perTurn.get(turns.turn) ?? 0) + 1);
      return ok();
    }
  }
  const plugin = definePlugin({ name: "counting", register: (c) => registerHandlers(c, CountingHandler) });
  const server = await startServer({ maxErrorsBeforeSession: 0 }, [{ plugin }]);
  t.teardown(() => {
    turns.running = false;
    return server.close();
  });
  const client = await RawClient.open(server.port);
  t.teardown(() => client.close());
  const count = 8000;
  // Written at once: the kernel queues far more than one 64 KiB read, and Node reads a socket up to 32 times a turn.
  client.socket.write(
    Buffer.concat(Array.from({ length: count }, (_, i) => encodeFrame(200, 0, i + 1, Buffer.alloc(1024, 1)))),
  );
  await eventually(() => (client.packets.length === count ? true : undefined), 20_000);
  t.deepEqual(
    client.packets.map((p) => p.seq),
    Array.from({ length: count }, (_, i) => i + 1),
    "every request answered once, in order",
  );
  t.true(Math.max(...perTurn.values()) <= FRAMES_PER_TURN, `${Math.max(...perTurn.values())} in one turn`);
});
