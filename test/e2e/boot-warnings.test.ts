import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import {
  type CommandHandler,
  type ConfigInput,
  definePlugin,
  Handles,
  ok,
  registerHandlers,
} from "../../core/index.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer, tempKeyFile } from "../helpers/server.js";

@Handles(150)
class NotesHandler implements CommandHandler<Buffer> {
  handle() {
    return ok();
  }
}

const notes = definePlugin({ name: "notes", register: (container) => registerHandlers(container, NotesHandler) });

async function bootLogs(
  plugins: string[] | undefined,
  overrides: ConfigInput = {},
): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const server = await startServer({ ...(plugins ? { plugins } : {}), ...overrides }, [{ plugin: notes }], { logger });
  await server.close();
  return lines;
}

const NEW_SHARED_KEY = /created a new identity key although sessions are shared/;

test("a plugin list without handshake and fast-connect warns at boot that its session commands are unreachable", async (t) => {
  const lines = await bootLogs(["mpush-ts/plugins/heartbeat"]);
  const warning = lines.find((line) => line.level === 40 && /HANDSHAKE or FAST_CONNECT/.test(String(line.msg)));
  t.truthy(warning, JSON.stringify(lines));
  t.deepEqual(warning?.commands, [150]);
});

test("a server that cannot establish sessions at all warns, even with no session command", async (t) => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const server = await startServer({ plugins: ["mpush-ts/plugins/heartbeat"] }, [], { logger });
  await server.close();
  const warning = lines.find((line) => line.level === 40 && /HANDSHAKE or FAST_CONNECT/.test(String(line.msg)));
  t.regex(String(warning?.msg), /each is closed at establishTimeoutMs/);
  t.deepEqual(warning?.commands, []);
});

test("with the built-ins loaded there is no such warning", async (t) => {
  const lines = await bootLogs(undefined);
  t.true(lines.some((line) => line.msg === "plugins loaded"));
  t.false(lines.some((line) => /HANDSHAKE or FAST_CONNECT/.test(String(line.msg))));
  t.true(lines.some((line) => line.msg === "created server identity key"));
  t.false(
    lines.some((line) => NEW_SHARED_KEY.test(String(line.msg))),
    "a new key for an in-process store is no split",
  );
});

test("a node that creates its key while sessions are shared through Redis warns: the cluster would be split", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const created = await bootLogs(undefined, { session: { store: redis.url } });
  const warning = created.find((line) => NEW_SHARED_KEY.test(String(line.msg)));
  t.is(warning?.level, 40);
  t.truthy(warning?.fingerprint);
  // A node that loads the cluster's existing key says nothing of the kind.
  const keyFile = tempKeyFile();
  await bootLogs(undefined, { keyFile });
  const loaded = await bootLogs(undefined, { keyFile, session: { store: redis.url } });
  t.true(loaded.some((line) => line.msg === "loaded server identity key"));
  t.false(loaded.some((line) => NEW_SHARED_KEY.test(String(line.msg))));
});

test("the boot reads the store once: a Redis that refuses (no password given) is warned about at once, one that answers is said to", async (t) => {
  const redis = await RedisServer.start({ password: "s3cret-pw" });
  t.teardown(() => redis.stop());
  const refused = await bootLogs(undefined, {
    session: { store: `redis://127.0.0.1:${redis.port}`, storeTimeoutMs: 500 },
  });
  // Not "does not answer … until it does": waiting does not end a refusal.
  const warning = refused.find((line) => /session store refused this node at boot/.test(String(line.msg)));
  t.is(warning?.level, 40, JSON.stringify(refused));
  t.is(warning?.refusal, "NOAUTH");
  t.false(refused.some((line) => /does not answer at boot/.test(String(line.msg))));
  t.false(refused.some((line) => line.msg === "session store answered"));
  // A refusal that waiting does not end is said as such, at error level.
  const refusal = refused.find((line) => String(line.msg).startsWith("session store refuses this node (NOAUTH)"));
  t.is(refusal?.level, 50, JSON.stringify(refused));

  const answered = await bootLogs(undefined, { session: { store: redis.url } });
  const ready = answered.find((line) => line.msg === "session store answered");
  t.is(ready?.store, `redis://***@127.0.0.1:${redis.port}`, "named, its password hidden");
  t.false(answered.some((line) => /does not answer/.test(String(line.msg))));
  t.false(JSON.stringify(answered).includes("s3cret-pw"));
});
