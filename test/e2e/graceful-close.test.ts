import "reflect-metadata";
import test from "ava";
import {
  Command,
  type CommandHandler,
  definePlugin,
  Handles,
  Hooks,
  ok,
  type Plugin,
  type Reply,
  registerHandlers,
} from "../../core/index.js";
import { OkReply } from "../../core/protocol/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import { deferred } from "../helpers/wait.js";

/** cmd 201 is held until the test releases it; cmd 202 answers `n` bytes at once. */
function slowPlugin() {
  const entered = deferred<void>();
  const release = deferred<void>();
  const bulkAnswered = deferred<void>();

  @Handles(201, { access: "public" })
  class HeldHandler implements CommandHandler<Buffer> {
    async handle(): Promise<Reply> {
      entered.resolve();
      await release.promise;
      return ok("finished");
    }
  }

  @Handles(202, { access: "public" })
  class BulkHandler implements CommandHandler<Buffer> {
    handle(body: Buffer): Reply {
      // The dispatcher writes the reply synchronously after this returns, before the test resumes.
      bulkAnswered.resolve();
      return { kind: "message", body: Buffer.alloc(Number(body.toString()), 0x61) };
    }
  }

  const plugin: Plugin = definePlugin({
    name: "slow",
    register(container) {
      registerHandlers(container, HeldHandler, BulkHandler);
    },
  });
  return { plugin, entered, release, bulkAnswered };
}

test("close() flushes a reply already written but not yet read by the client", async (t) => {
  const { plugin, bulkAnswered } = slowPlugin();
  const { port, close } = await startServer({ compressThresholdBytes: 0, maxOutboundBytes: 64 * 1024 * 1024 }, [
    { plugin },
  ]);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.socket.pause();
  const size = 8 * 1024 * 1024;
  client.writeFrame(202, 1, Buffer.from(String(size)));
  // Once answered, the 8 MiB reply sits in the server's socket buffer behind a paused reader.
  await bulkAnswered.promise;
  const closing = close();
  client.socket.resume();
  const reply = await client.next(10_000);
  t.is(reply.seq, 1);
  t.is(reply.body.length, size);
  await client.waitClosed(10_000);
  await closing;
});

test("close() lets an in-flight handler's reply reach the client before the connection ends", async (t) => {
  const { plugin, entered, release } = slowPlugin();
  const { port, close } = await startServer({}, [{ plugin }]);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.writeFrame(201, 9);
  await entered.promise;
  const closing = close();
  release.resolve();
  const reply = await client.next(5000);
  t.is(reply.cmd, Command.OK);
  t.is(reply.seq, 9);
  t.like(OkReply.decode(reply.body), { command: 201, data: "finished" });
  await client.waitClosed();
  await closing;
});

test("a handler that never settles cannot hold a closing connection: it is destroyed after shutdownGraceMs", async (t) => {
  const { plugin, entered } = slowPlugin();
  const closed = deferred<string>();
  const spy: Plugin = definePlugin({
    name: "close-spy",
    register(container) {
      container.resolve(Hooks).add("onConnectionClose", (_connection, reason) => closed.resolve(reason));
    },
  });
  const grace = 300;
  const { port, close } = await startServer({ establishTimeoutMs: 100, shutdownGraceMs: grace, sweepIntervalMs: 20 }, [
    { plugin },
    { plugin: spy },
  ]);
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.writeFrame(201, 3);
  await entered.promise;
  // The establish deadline calls close() while cmd 201 is in hand and never released.
  const startedAt = Date.now();
  await client.waitClosed(5000);
  const elapsed = Date.now() - startedAt;
  t.true(elapsed >= grace - 150, `closed after ${elapsed} ms`);
  t.is(await closed.promise, "no session established in time");
  t.is(client.packets.length, 0, "no reply: the handler never finished");
});

test("close() of the server ends within shutdownGraceMs even while a handler never settles", async (t) => {
  const { plugin, entered } = slowPlugin();
  const grace = 300;
  const { port, close } = await startServer({ shutdownGraceMs: grace, sweepIntervalMs: 20 }, [{ plugin }]);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.writeFrame(201, 4);
  await entered.promise;
  const startedAt = Date.now();
  await close();
  const elapsed = Date.now() - startedAt;
  t.true(elapsed >= grace - 50 && elapsed < 5000, `closed after ${elapsed} ms`);
  await client.waitClosed();
  t.is(client.packets.length, 0);
});
