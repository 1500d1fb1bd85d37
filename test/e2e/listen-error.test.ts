import "reflect-metadata";
import { connect } from "node:net";
import test from "ava";
import { pino } from "pino";
import { definePlugin, Hooks, ListenError, loadConfig, MPushServer } from "../../core/index.js";
import { failedBoot } from "../helpers/child-server.js";
import { reservedPort } from "../helpers/ports.js";
import { startServer, tempKeyFile } from "../helpers/server.js";

test("a port already taken is the boot error MPUSH_ERR_LISTEN, with the system's reason as its cause", async (t) => {
  const first = await startServer();
  t.teardown(first.close);
  const error = await t.throwsAsync(startServer({ port: first.port }), { instanceOf: ListenError });
  t.is(error?.message, `MPUSH_ERR_LISTEN: cannot listen on 127.0.0.1:${first.port}`);
  t.is((error?.cause as NodeJS.ErrnoException | undefined)?.code, "EADDRINUSE");
});

test("main.js reports a taken port as MPUSH_ERR_LISTEN and its cause, without a stack trace", async (t) => {
  const first = await startServer();
  t.teardown(first.close);
  const error = await failedBoot(t, { MPUSH_PORT: String(first.port) });
  t.regex(
    error?.message ?? "",
    /exited \(1\).*MPUSH_ERR_LISTEN: cannot listen on 127\.0\.0\.1:\d+\n {2}caused by: listen EADDRINUSE/s,
  );
  t.notRegex(error?.message ?? "", /at Server\.setupListenHandle/);
});

test("an IPv6 host is bracketed in the boot error, so its port stays unambiguous", async (t) => {
  const first = await startServer({ host: "::1" });
  t.teardown(first.close);
  const error = await t.throwsAsync(startServer({ host: "::1", port: first.port }), { instanceOf: ListenError });
  t.is(error?.message, `MPUSH_ERR_LISTEN: cannot listen on [::1]:${first.port}`);
});

test("a plugin whose onListen fails leaves nothing listening, and listen() can be tried again", async (t) => {
  const port = await reservedPort();
  let failures = 1;
  const flaky = definePlugin({
    name: "flaky-start",
    register(container) {
      container.resolve(Hooks).add("onListen", () => {
        if (failures-- > 0) throw new Error("warming the cache failed");
      });
    },
  });
  const config = loadConfig({ env: {}, overrides: { host: "127.0.0.1", port, keyFile: tempKeyFile() } });
  const server = await MPushServer.create({ config, logger: pino({ level: "silent" }), plugins: [{ plugin: flaky }] });
  t.teardown(() => server.close());
  const first = server.listen();
  t.is(server.listen(), first, "a second call while the first is in progress is the same listen");
  await t.throwsAsync(first, { message: "warming the cache failed" });
  t.is(server.address, undefined);
  const refused = await new Promise<string>((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve("accepted");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
  });
  t.is(refused, "ECONNREFUSED");
  t.is((await server.listen()).port, port);
});
