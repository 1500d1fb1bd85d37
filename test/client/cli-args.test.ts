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
