import test, { type ExecutionContext } from "ava";
import { Command } from "../../core/index.js";
import { type ChildServer, failedBoot, startChildServer } from "../helpers/child-server.js";
import { RawClient } from "../helpers/raw-client.js";
import { sleep } from "../helpers/wait.js";

interface LogLine {
  readonly msg: string;
  readonly connectionsClosed?: number;
}

/** A served connection, then SIGTERM to the child: resolves once the child exited, with its JSON log lines. */
async function servedThenTerminated(t: ExecutionContext, server: ChildServer): Promise<LogLine[]> {
  t.teardown(() => server.child.kill("SIGKILL"));
  const client = await RawClient.open(server.port);
  t.teardown(() => client.close());
  client.write([0xdf]);
  t.is((await client.next()).cmd, Command.HEARTBEAT);
  server.child.kill("SIGTERM");
  await client.waitClosed(5000);
  t.true(client.closed, "the server closed its connections");
  await server.exited;
  return server.lines.flatMap((line) => (line.startsWith("{") ? [JSON.parse(line) as LogLine] : []));
}

test("node build/core/main.js listens on MPUSH_HOST:MPUSH_PORT and exits 0 on SIGTERM after closing connections", async (t) => {
  const server = await startChildServer();
  const lines = await servedThenTerminated(t, server);
  t.is(await server.exited, 0);
  const messages = lines.map((line) => line.msg);
  t.true(messages.includes("shutting down"), messages.join(" | "));
  t.is(lines.find((line) => line.msg === "server closed")?.connectionsClosed, 1, "it says how many it closed");
});

test("main.js refuses to start on a bad configuration, naming the problem", async (t) => {
  const error = await failedBoot(t, { MPUSH_UNKNOWN_COMMAND: "explode" });
  t.regex(error?.message ?? "", /exited \(1\).*unknownCommand: expected "reply" or "close"/s);
});

test("npm start passes SIGTERM on: the server shuts down cleanly and npm exits", async (t) => {
  const server = await startChildServer({}, { viaNpmStart: true });
  const messages = (await servedThenTerminated(t, server)).map((line) => line.msg);
  t.true(messages.includes("server closed"), messages.join(" | "));
});

test("main.js warns about a misspelled MPUSH_ variable, naming the one meant, and its listening line names the store", async (t) => {
  const server = await startChildServer({ MPUSH_SESION_STORE: "redis://127.0.0.1:1" });
  t.teardown(() => server.child.kill("SIGKILL"));
  const lines = server.lines.map((line) => JSON.parse(line) as { level: number; msg: string; store?: string });
  const warning = lines.find((line) => line.msg.startsWith("MPUSH_SESION_STORE"));
  t.is(warning?.level, 40);
  t.is(warning?.msg, "MPUSH_SESION_STORE is not a server setting and is ignored: did you mean MPUSH_SESSION_STORE?");
  t.is(lines.find((line) => line.msg.startsWith("listening on"))?.store, "memory");
});

/** A child at debug level whose stdout reader stalls (the pipe fills) while clients keep it logging. */
async function stalledStdoutServer(t: ExecutionContext): Promise<ChildServer> {
  const server = await startChildServer({ MPUSH_LOG_LEVEL: "debug" });
  t.teardown(() => server.child.kill("SIGKILL"));
  // A log shipper that stalls: the pipe fills, and every later line waits in the server or is dropped.
  server.child.stdout?.pause();
  for (let round = 0; round < 50; round++) {
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const client = await RawClient.open(server.port);
        client.write([0xdf]);
        t.is((await client.next()).cmd, Command.HEARTBEAT);
        client.close();
      }),
    );
  }
  return server;
}

/** The child's exit code, or a message once `ms` passed without an exit. */
function exitWithin(server: ChildServer, ms: number): Promise<number | string> {
  return Promise.race([server.exited, sleep(ms).then(() => `still running after ${ms} ms`)]);
}

test("a server whose stdout nobody reads goes on serving, and still exits 0 on SIGTERM", async (t) => {
  const server = await stalledStdoutServer(t);
  server.child.kill("SIGTERM");
  t.is(await exitWithin(server, 10_000), 0);
});

test("a server whose stdout reader goes away during its shutdown still exits 0", async (t) => {
  const server = await stalledStdoutServer(t);
  server.child.kill("SIGTERM");
  // The shipper got the same signal: its end of the pipe closes while the server writes its last lines.
  await sleep(300);
  server.child.stdout?.destroy();
  t.is(await exitWithin(server, 10_000), 0);
});
