import "reflect-metadata";
import { setTimeout as sleepFor } from "node:timers/promises";
import test from "ava";
import { Keyv } from "keyv";
import { pino } from "pino";
import { MemorySessionStorage, ServerError } from "../../client/index.js";
import {
  type CommandHandler,
  ConnectionClosedError,
  definePlugin,
  ErrorCode,
  type HandlerContext,
  HandlerTimeoutError,
  Handles,
  KEYV,
  ok,
  registerHandlers,
} from "../../core/index.js";
import { clientOf } from "../helpers/sdk-client.js";
import { startServer } from "../helpers/server.js";
import { eventually, sleep } from "../helpers/wait.js";

const HANGS = 150;
const ANSWERS = 151;
const WAITS_FOR_SIGNAL = 152;
const SLEEPS_ON_SIGNAL = 153;

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

/** What the waiting handler's signal was aborted with, in order. */
const aborts: unknown[] = [];

/** Waits for nothing but its signal, and fails with the signal's reason, as a fetch given the signal would. */
@Handles(WAITS_FOR_SIGNAL)
class WaitingHandler implements CommandHandler<Buffer> {
  handle(_body: Buffer, context: HandlerContext): Promise<never> {
    return new Promise((_resolve, reject) =>
      context.signal.addEventListener("abort", () => {
        aborts.push(context.signal.reason);
        reject(context.signal.reason);
      }),
    );
  }
}

/** Node's own APIs reject with an AbortError whose cause is the signal's reason. */
@Handles(SLEEPS_ON_SIGNAL)
class SleepingHandler implements CommandHandler<Buffer> {
  async handle(_body: Buffer, context: HandlerContext) {
    await sleepFor(60_000, undefined, { signal: context.signal });
    return ok("woke");
  }
}

const plugin = definePlugin({
  name: "hangs",
  register: (container) =>
    registerHandlers(container, HangingHandler, AnsweringHandler, WaitingHandler, SleepingHandler),
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

/** A plugin's Keyv store that answers, or, once `hang` is set, never answers. */
function switchableStore() {
  const data = new Map<string, unknown>();
  const control = { hang: false };
  const answer = <T>(value: () => T) => (control.hang ? new Promise<T>(() => {}) : Promise.resolve(value()));
  const adapter = {
    get: (key: string) => answer(() => data.get(key)),
    set: (key: string, value: unknown) => answer(() => data.set(key, value)),
    delete: (key: string) => answer(() => data.delete(key)),
    clear: () => answer(() => data.clear()),
  };
  const plugin = definePlugin({
    name: "switchable-store",
    register(container) {
      container.registerInstance(KEYV, new Keyv({ store: adapter, namespace: "t" }));
    },
  });
  return { control, plugin };
}

test("HANDSHAKE and FAST_CONNECT bound their own waits: with a hung store and a shorter handlerTimeoutMs they still degrade as documented, and the client keeps its session", async (t) => {
  const store = switchableStore();
  const server = await startServer({ handlerTimeoutMs: 200, sweepIntervalMs: 20, session: { storeTimeoutMs: 600 } }, [
    { plugin: store.plugin },
  ]);
  t.teardown(server.close);
  const storage = new MemorySessionStorage();
  const first = clientOf(server, { storage });
  t.is((await first.connect()).outcome, "handshake");
  await first.close();
  const saved = await storage.load();

  store.control.hang = true;
  const second = clientOf(server, { storage, requestTimeoutMs: 5000 });
  t.teardown(() => second.close());
  const outcome = await second.connect();
  t.is(
    outcome.fastConnectError,
    "STORE_UNAVAILABLE",
    "not DISPATCH_ERROR, which would make the client forget its session",
  );
  t.is(outcome.outcome, "handshake");
  t.is(outcome.sessionId, undefined, "the handshake degraded: no resumable id while the store hangs");
  t.deepEqual(await storage.load(), saved);
});

test.serial("past handlerTimeoutMs the handler's signal is aborted with a HandlerTimeoutError", async (t) => {
  aborts.length = 0;
  const server = await startServer({ handlerTimeoutMs: 300, sweepIntervalMs: 50 }, [{ plugin }]);
  const client = clientOf(server, { requestTimeoutMs: 3000 });
  try {
    await client.connect();
    const error = await t.throwsAsync(client.request(WAITS_FOR_SIGNAL, Buffer.alloc(0)), { instanceOf: ServerError });
    t.is(error?.code, ErrorCode.DISPATCH_ERROR);
    t.is(aborts.length, 1);
    t.true(aborts[0] instanceof HandlerTimeoutError, String(aborts[0]));
    t.true(client.isConnected);
  } finally {
    await client.close();
    await server.close();
  }
});

test.serial(
  "a connection that goes away aborts its handler's signal; a handler failing with that reason is not logged as failed",
  async (t) => {
    aborts.length = 0;
    const logs: { level: number; msg: string }[] = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => logs.push(JSON.parse(line)) });
    // No deadline: only the close can abort it.
    const server = await startServer({ handlerTimeoutMs: 0 }, [{ plugin }], { logger });
    const client = clientOf(server, { requestTimeoutMs: 3000 });
    try {
      await client.connect();
      const pending = client.request(WAITS_FOR_SIGNAL, Buffer.alloc(0));
      pending.catch(() => {});
      await eventually(() => (logs.some((l) => l.msg === "session established") ? true : undefined), 3000);
      await client.close();
      await eventually(() => (aborts.length > 0 ? true : undefined), 3000);
      t.is(aborts.length, 1);
      t.true(aborts[0] instanceof ConnectionClosedError, String(aborts[0]));
      t.regex((aborts[0] as Error).message, /connection closed while handling command 152/);
      await eventually(
        () => (logs.some((l) => l.msg === "a command handler stopped on its signal") ? true : undefined),
        3000,
      );
      t.false(logs.some((l) => l.msg === "command handler failed"));

      // The same with an API that rejects with an AbortError carrying the reason as its cause.
      const sleeper = clientOf(server, { requestTimeoutMs: 3000 });
      await sleeper.connect();
      sleeper.request(SLEEPS_ON_SIGNAL, Buffer.alloc(0)).catch(() => {});
      await sleep(100);
      await sleeper.close();
      await eventually(
        () => (logs.filter((l) => l.msg === "a command handler stopped on its signal").length === 2 ? true : undefined),
        3000,
      );
      t.false(logs.some((l) => l.msg === "command handler failed"));
    } finally {
      await client.close();
      await server.close();
    }
  },
);
