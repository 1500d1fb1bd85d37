import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { pino } from "pino";
import { IdentityKey } from "../../core/index.js";
import { failedBoot, startChildServer } from "../helpers/child-server.js";
import { startServer } from "../helpers/server.js";

test("main.js refuses a key file that is not a key with MPUSH_ERR_KEY_FILE, naming the file", async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), "mpush-key-")), "server.key");
  writeFileSync(file, "not a key", { mode: 0o600 });
  const error = await failedBoot(t, { MPUSH_KEY_FILE: file });
  t.regex(error?.message ?? "", new RegExp(`exited \\(1\\).*MPUSH_ERR_KEY_FILE: key file ${file} does not hold`, "s"));
  t.notRegex(error?.message ?? "", /at IdentityKey/, "a boot error, not a stack trace");
});

test("MPUSH_CREATE_KEY_FILE=false: a missing key file fails the boot, naming it, and nothing is created", async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), "mpush-key-")), "server.key");
  const error = await failedBoot(t, { MPUSH_KEY_FILE: file, MPUSH_CREATE_KEY_FILE: "false" });
  t.regex(
    error?.message ?? "",
    new RegExp(`exited \\(1\\).*MPUSH_ERR_KEY_FILE: key file ${file} is missing, and createKeyFile is off`, "s"),
  );
  t.false(existsSync(file));
  t.false(existsSync(`${file}.pub`));
  // An existing key is loaded as ever.
  const { key } = await IdentityKey.loadOrCreate(file);
  const server = await startChildServer({ MPUSH_KEY_FILE: file, MPUSH_CREATE_KEY_FILE: "false" });
  t.teardown(() => server.child.kill("SIGKILL"));
  t.true(server.lines.some((line) => line.includes(key.fingerprint)));
});

test("a key file that others may read is used, with a warning naming it", async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), "mpush-key-")), "server.key");
  await IdentityKey.loadOrCreate(file);
  chmodSync(file, 0o644);
  const logs: { msg: string; keyFile?: string }[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const { close } = await startServer({ keyFile: file }, [], { logger });
  t.teardown(close);
  const warning = logs.find((l) => l.msg.startsWith("identity key file is readable or writable by group or others"));
  t.is(warning?.keyFile, file);
});
