import "reflect-metadata";
import test from "ava";
import { ListenError } from "../../core/index.js";
import { startChildServer } from "../helpers/child-server.js";
import { startServer } from "../helpers/server.js";

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
  const error = await t.throwsAsync(startChildServer({ MPUSH_PORT: String(first.port) }));
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
