import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import {
  type CommandHandler,
  definePlugin,
  Handles,
  Hooks,
  loadConfig,
  MPushServer,
  type Plugin,
  registerHandlers,
} from "../../core/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { tempKeyFile } from "../helpers/server.js";
import { eventually, sleep } from "../helpers/wait.js";

// Serial: each looks at the process's listeners.
function create(plugins: { plugin: Plugin }[] = [], shutdownGraceMs = 5000): Promise<MPushServer> {
  const overrides = { host: "127.0.0.1", port: 0, keyFile: tempKeyFile(), shutdownGraceMs, handlerTimeoutMs: 0 };
  const config = loadConfig({ env: {}, overrides });
  return MPushServer.create({ config, logger: pino({ level: "silent" }), plugins });
}

/** Resolves once the process holds no listening socket (a closed one is let go within a turn or two). */
function noListener(): Promise<true> {
  return eventually(() => (process.getActiveResourcesInfo().includes("TCPServerWrap") ? undefined : true), 1000);
}

/** Settles as what it settled with, or "pending" if it has not within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | Error | "pending"> {
  return Promise.race([promise.catch((error: Error) => error), sleep(ms).then(() => "pending" as const)]);
}

test.serial(
  "close() while an onListen hook runs: onClose runs after it, and listen() rejects with nothing listening",
  async (t) => {
    const events: string[] = [];
    const plugin = definePlugin({
      name: "slow-start",
      register(container) {
        const hooks = container.resolve(Hooks);
        hooks.add("onListen", async () => {
          await sleep(200);
          events.push("listen done");
        });
        hooks.add("onClose", () => {
          events.push("close");
        });
      },
    });
    const server = await create([{ plugin }]);
    const listening = server.listen();
    await sleep(50);
    await server.close();
    t.deepEqual(events, ["listen done", "close"]);
    const outcome = await within(listening, 100);
    t.true(outcome instanceof Error, `listen() settled with ${JSON.stringify(outcome)}`);
    t.is(server.address, undefined);
    t.true(await noListener());
  },
);

test.serial("close() right after listen(): listen() settles, and nothing is left listening", async (t) => {
  const server = await create();
  const listening = server.listen();
  await server.close();
  t.not(await within(listening, 500), "pending");
  t.is(server.address, undefined);
  t.true(await noListener());
});

test.serial("listen() after close() rejects and binds nothing", async (t) => {
  const server = await create();
  await server.close();
  t.true((await within(server.listen(), 500)) instanceof Error);
  t.is(server.address, undefined);
  t.true(await noListener());
});

@Handles(201, { access: "public" })
class NeverSettles implements CommandHandler<Buffer> {
  handle(): Promise<undefined> {
    return new Promise(() => {});
  }
}

test.serial(
  "close() while starting ends within shutdownGraceMs, even with a connection whose handler never settles",
  async (t) => {
    let listened!: () => void;
    const inHook = new Promise<void>((resolve) => {
      listened = resolve;
    });
    const plugin = definePlugin({
      name: "slow-start-held",
      register(container) {
        registerHandlers(container, NeverSettles);
        container.resolve(Hooks).add("onListen", async ({ port }) => {
          const raw = await RawClient.open(port);
          t.teardown(() => raw.close());
          raw.writeFrame(201, 1);
          listened();
          await sleep(200);
        });
      },
    });
    const server = await create([{ plugin }], 200);
    const listening = server.listen();
    await inHook;
    await sleep(50);
    t.not(
      await within(
        server.close().then(() => "closed"),
        2000,
      ),
      "pending",
    );
    t.true((await within(listening, 100)) instanceof Error);
  },
);
