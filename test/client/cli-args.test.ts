import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { runCli } from "../helpers/child-process.js";

const BASE = ["--device-id", "d", "--session-file", "/nonexistent/s.json", "--server-key", "/nonexistent/k.pub"];

for (const [flag, value, max] of [
  ["--port", "70000", 65535],
  ["--heartbeat-max-ms", "99999999999999999999", 0xffff_ffff],
  ["--heartbeat-min-ms", "4294967296", 0xffff_ffff],
  ["--timeout-ms", "2147483648", 0x7fff_ffff],
] as const) {
  test(`${flag} ${value} is a usage error (exit 2) naming the flag and its bound, before anything is read or sent`, async (t) => {
    const args = flag === "--port" ? [flag, value, ...BASE] : ["--port", "1", flag, value, ...BASE];
    const run = await runCli(args);
    t.is(run.code, 2, run.stderr);
    t.is(run.stdout, "");
    t.true(run.stderr.startsWith(`mpush: ${flag} must be at most ${max}, got ${value}\n`), run.stderr);
    t.regex(run.stderr, /usage: mpush client/);
  });
}

test("heartbeat bounds the wrong way round are a usage error, and the session file is left as it was", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mpush-cli-args-"));
  const sessionFile = join(dir, "s.json");
  writeFileSync(sessionFile, "kept\n");
  const run = await runCli([
    ...["--port", "1", "--device-id", "d", "--session-file", sessionFile, "--server-key", "/nonexistent/k.pub"],
    ...["--heartbeat-min-ms", "100000", "--heartbeat-max-ms", "50000"],
  ]);
  t.is(run.code, 2, run.stderr);
  t.true(run.stderr.startsWith("mpush: --heartbeat-min-ms 100000 is above --heartbeat-max-ms 50000\n"), run.stderr);
  t.is(readFileSync(sessionFile, "utf8"), "kept\n");
});

test("--help, -h and help print the usage on stdout and exit 0, whatever else is on the line", async (t) => {
  for (const args of [["--help"], ["-h"], ["--port", "70000", "--help"]]) {
    const run = await runCli(args);
    t.is(run.code, 0, run.stderr);
    t.is(run.stderr, "");
    t.regex(run.stdout, /^usage: mpush client/);
    t.regex(run.stdout, /mpush keygen/);
  }
});
