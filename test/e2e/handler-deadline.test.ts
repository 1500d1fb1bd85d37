import "reflect-metadata";
import test from "ava";
import { ServerError } from "../../client/index.js";
import { type CommandHandler, definePlugin, ErrorCode, Handles, ok, registerHandlers } from "../../core/index.js";
import { clientOf } from "../helpers/sdk-client.js";
import { startServer } from "../helpers/server.js";

const HANGS = 150;
const ANSWERS = 151;

@Handles(HANGS)
class HangingHandler implements CommandHandler<Buffer> {
  handle(): Promise<never> {
    return new Promise(() => {});
  }
}

@Handles(ANSWERS)
class AnsweringHandler implements CommandHandler<Buffer> {
  handle() {
    return ok("here");
  }
}

const plugin = definePlugin({
  name: "hangs",
  register: (container) => registerHandlers(container, HangingHandler, AnsweringHandler),
});

test("a handler that never settles is answered DISPATCH_ERROR at handlerTimeoutMs, and the connection goes on serving", async (t) => {
  const server = await startServer({ handlerTimeoutMs: 300, sweepIntervalMs: 50 }, [{ plugin }]);
  const client = clientOf(server, { requestTimeoutMs: 3000 });
  try {
    await client.connect();
    const started = performance.now();
    const error = await t.throwsAsync(client.request(HANGS, Buffer.alloc(0)), { instanceOf: ServerError });
    const waited = performance.now() - started;
    t.is(error?.code, ErrorCode.DISPATCH_ERROR);
    t.true(waited >= 250 && waited < 2500, `answered after ${waited} ms`);
    const reply = await client.request(ANSWERS, Buffer.alloc(0));
    t.is(reply.cmd, 11);
    t.true(client.isConnected);
  } finally {
    await client.close();
    await server.close();
  }
});

test("handlerTimeoutMs 0 leaves a handler all the time it takes", async (t) => {
  const server = await startServer({ handlerTimeoutMs: 0, sweepIntervalMs: 50 }, [{ plugin }]);
  const client = clientOf(server, { requestTimeoutMs: 800 });
  try {
    await client.connect();
    const error = await t.throwsAsync(client.request(HANGS, Buffer.alloc(0)));
    t.false(error instanceof ServerError);
    t.regex(error?.message ?? "", /no reply to command 150 within 800 ms/);
  } finally {
    await client.close();
    await server.close();
  }
});
