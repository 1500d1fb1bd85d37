import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { type CommandHandler, definePlugin, Handles, ok, registerHandlers } from "../../core/index.js";
import { startServer } from "../helpers/server.js";

@Handles(150)
class NotesHandler implements CommandHandler<Buffer> {
  handle() {
    return ok();
  }
}

const notes = definePlugin({ name: "notes", register: (container) => registerHandlers(container, NotesHandler) });

async function bootLogs(plugins: string[] | undefined): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const server = await startServer(plugins ? { plugins } : {}, [{ plugin: notes }], { logger });
  await server.close();
  return lines;
}

test("a plugin list without handshake and fast-connect warns at boot that its session commands are unreachable", async (t) => {
  const lines = await bootLogs(["mpush-ts/plugins/heartbeat"]);
  const warning = lines.find((line) => line.level === 40 && /HANDSHAKE or FAST_CONNECT/.test(String(line.msg)));
  t.truthy(warning, JSON.stringify(lines));
  t.deepEqual(warning?.commands, [150]);
});

test("with the built-ins loaded there is no such warning", async (t) => {
  const lines = await bootLogs(undefined);
  t.true(lines.some((line) => line.msg === "plugins loaded"));
  t.false(lines.some((line) => /HANDSHAKE or FAST_CONNECT/.test(String(line.msg))));
});
