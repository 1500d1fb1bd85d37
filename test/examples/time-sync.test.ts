import "reflect-metadata";
import { resolve } from "node:path";
import test, { type ExecutionContext } from "ava";
import { pino } from "pino";
import { ClientConnection } from "../../client/index.js";
import { Command, ConfigError, type ConfigInput, ErrorCode, loadConfig, MPushServer } from "../../core/index.js";
import { ErrorReply } from "../../core/protocol/index.js";
import { TIME_SYNC, TimeSyncError, TimeSyncReply, TimeSyncRequest } from "../../examples/time-sync/protocol.js";
import { RawClient } from "../helpers/raw-client.js";
import { tempKeyFile } from "../helpers/server.js";

const CONFIG_FILE = "examples/time-sync/mpush.config.json";
const logger = pino({ level: "silent" });

/** The example's config file as `npm start` reads it, on 127.0.0.1 and a free port. */
function exampleConfig(overrides: ConfigInput = {}) {
  return loadConfig({
    file: CONFIG_FILE,
    env: {},
    overrides: { host: "127.0.0.1", port: 0, keyFile: tempKeyFile(), logLevel: "silent", ...overrides },
  });
}

/** The config file's plugin list, with the time-sync entry replaced (or dropped when `replace` is undefined). */
function withTimeSync(replace: ((entry: { use: string; options?: unknown }) => unknown) | undefined) {
  return exampleConfig().plugins.flatMap((spec) => {
    if (typeof spec === "string" || !spec.use.endsWith("/examples/time-sync/index.js")) return [spec];
    return replace ? [replace(spec)] : [];
  }) as ConfigInput["plugins"];
}

async function connect(t: ExecutionContext, config = exampleConfig()) {
  const server = await MPushServer.create({ config, logger });
  t.teardown(() => server.close());
  const { port } = await server.listen();
  const client = await RawClient.open(port);
  t.teardown(() => client.close());
  return client;
}

function timeSync(client: RawClient, seq: number, clientSendTimeMs: number) {
  client.writeFrame(TIME_SYNC, seq, TimeSyncRequest.encode({ clientSendTimeMs }).finish());
  return client.next();
}

test("the config file loads the plugin from build/ by path, with its options", (t) => {
  const entry = exampleConfig().plugins.at(-1);
  t.like(entry, { use: resolve("build/examples/time-sync/index.js"), options: { label: "example-node-1" } });
});

test("TIME_SYNC before any session: the reply echoes seq and client time, carries the label and sane server times", async (t) => {
  const client = await connect(t);
  const before = Date.now();
  const sent = before - 5;
  const packet = await timeSync(client, 42, sent);
  const after = Date.now();

  t.is(packet.cmd, TIME_SYNC);
  t.is(packet.seq, 42);
  const body = TimeSyncReply.decode(packet.body);
  t.is(body.clientSendTimeMs, sent);
  t.is(body.nodeLabel, "example-node-1");
  t.true(before <= body.serverReceiveTimeMs);
  t.true(body.serverReceiveTimeMs <= body.serverSendTimeMs);
  t.true(body.serverSendTimeMs <= after);
  t.false(client.closed);
});

test("an implausible client time gets the plugin's ERROR 1001 and the connection stays open", async (t) => {
  const client = await connect(t);
  for (const [seq, time] of [
    [1, 0],
    [2, Math.floor(Date.now() / 1000)],
    [3, Date.now() + 400 * 24 * 3600_000],
  ] as const) {
    const packet = await timeSync(client, seq, time);
    t.is(packet.cmd, Command.ERROR);
    t.is(packet.seq, seq);
    const error = ErrorReply.decode(packet.body);
    t.is(error.command as number, TIME_SYNC);
    t.is(error.code as number, TimeSyncError.IMPLAUSIBLE_CLIENT_TIME);
    t.regex(error.reason, /client_send_time_ms/);
  }
  t.is((await timeSync(client, 4, Date.now())).cmd, TIME_SYNC);
});

test("maxSkewMs from the options narrows what is accepted", async (t) => {
  const plugins = withTimeSync((entry) => ({ ...entry, options: { label: "strict", maxSkewMs: 60_000 } }));
  const client = await connect(t, exampleConfig({ plugins }));
  t.is((await timeSync(client, 1, Date.now() - 30_000)).cmd, TIME_SYNC);
  const refused = await timeSync(client, 2, Date.now() - 90_000);
  t.is(ErrorReply.decode(refused.body).code as number, TimeSyncError.IMPLAUSIBLE_CLIENT_TIME);
});

test("invalid plugin options fail the boot with a ConfigError naming the option", async (t) => {
  for (const [options, problem] of [
    [undefined, /options: expected an object/],
    [{}, /options\.label: expected a string/],
    [{ label: "" }, /options\.label: expected a string/],
    [{ label: "n", maxSkewMs: 10 }, /options\.maxSkewMs: expected an integer/],
    [{ label: "n", lable: "typo" }, /options\.lable: unknown option/],
  ] as const) {
    const plugins = withTimeSync((entry) => ({ use: entry.use, ...(options && { options }) }));
    const error = await t.throwsAsync(MPushServer.create({ config: exampleConfig({ plugins }), logger }), {
      instanceOf: ConfigError,
    });
    t.regex(error?.message ?? "", problem);
  }
});

test("without the plugin in the config, the same command gets ERROR(UNSUPPORTED_CMD)", async (t) => {
  const client = await connect(t, exampleConfig({ plugins: withTimeSync(undefined) }));
  const packet = await timeSync(client, 9, Date.now());
  t.is(packet.cmd, Command.ERROR);
  t.is(packet.seq, 9);
  const error = ErrorReply.decode(packet.body);
  t.is(error.command as number, TIME_SYNC);
  t.is(error.code, ErrorCode.UNSUPPORTED_CMD);
});

test("the guide's §7: a public command without a session through the SDK's ClientConnection", async (t) => {
  const server = await MPushServer.create({ config: exampleConfig(), logger });
  t.teardown(() => server.close());
  const { port } = await server.listen();
  const connection = await ClientConnection.open("127.0.0.1", port);
  const sent = Date.now();
  const reply = await connection.request(TIME_SYNC, TimeSyncRequest.encode({ clientSendTimeMs: sent }).finish(), {
    timeoutMs: 2000,
  });
  await connection.close();
  t.is(reply.cmd, TIME_SYNC, "a reply(Codec, …) answer carries the request's command");
  t.is(TimeSyncReply.decode(reply.body).clientSendTimeMs, sent);
});
