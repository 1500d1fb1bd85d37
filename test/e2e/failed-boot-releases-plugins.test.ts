import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import {
  type CommandHandler,
  definePlugin,
  HandlerRegistrationError,
  Hooks,
  loadConfig,
  MPushServer,
  registerHandlers,
} from "../../core/index.js";
import { tempKeyFile } from "../helpers/server.js";

/** Registered as a handler without @Handles: the boot fails after every plugin registered. */
class Undeclared implements CommandHandler {
  handle() {
    return undefined;
  }
}

test("a boot that fails after the plugins registered runs their onClose: what they opened is released", async (t) => {
  const released: string[] = [];
  const holder = definePlugin({
    name: "holder",
    register(container) {
      container.resolve(Hooks).add("onClose", () => {
        released.push("holder");
      });
    },
  });
  const broken = definePlugin({ name: "broken", register: (c) => registerHandlers(c, Undeclared) });
  const config = loadConfig({ env: {}, overrides: { host: "127.0.0.1", port: 0, keyFile: tempKeyFile() } });
  await t.throwsAsync(
    MPushServer.create({
      config,
      logger: pino({ level: "silent" }),
      plugins: [{ plugin: holder }, { plugin: broken }],
    }),
    { instanceOf: HandlerRegistrationError },
  );
  t.deepEqual(released, ["holder"]);
});
