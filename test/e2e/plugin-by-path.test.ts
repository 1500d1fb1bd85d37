import "reflect-metadata";
import { fileURLToPath } from "node:url";
import test from "ava";
import { BUILTIN_PLUGINS, Command, PluginDependencyError } from "../../core/index.js";
import { OkReply } from "../../core/protocol/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";

const greeter = fileURLToPath(new URL("../fixtures/plugins/greeter-plugin.js", import.meta.url));

test("a plugin configured by absolute path, with options, serves its command", async (t) => {
  const { port, close } = await startServer({
    plugins: [...BUILTIN_PLUGINS, { use: greeter, options: { greeting: "hi" } }],
  });
  t.teardown(close);
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  client.writeFrame(200, 5, Buffer.from("there"));
  const reply = await client.next();
  t.is(reply.cmd, Command.OK);
  t.is(reply.seq, 5);
  t.like(OkReply.decode(reply.body), { command: 200, data: "hi there" });
});

test("a server whose plugins are out of dependency order refuses to start", async (t) => {
  await t.throwsAsync(startServer({ plugins: [greeter] }), { instanceOf: PluginDependencyError });
});
