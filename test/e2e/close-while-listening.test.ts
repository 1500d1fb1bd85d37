import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { definePlugin, Hooks, loadConfig, MPushServer, type Plugin } from "../../core/index.js";
import { tempKeyFile } from "../helpers/server.js";
import { eventually, sleep } from "../helpers/wait.js";

// Serial: each looks at the process's listeners.
function create(plugins: { plugin: Plugin }[] = []): Promise<MPushServer> {
  const config = loadConfig({ env: {}, overrides: { host: "127.0.0.1", port: 0, keyFile: tempKeyFile() } });
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
