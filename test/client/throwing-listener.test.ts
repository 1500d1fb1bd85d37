import test from "ava";
import { runNode } from "../helpers/child-process.js";

const FIXTURE = "build/test/fixtures/clients/throwing-listeners.js";

async function run(mode: string): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await runNode(FIXTURE, [mode]);
  if (code !== 0) throw new Error(`fixture exited ${code}: ${stderr}`);
  return JSON.parse(stdout.trim());
}

test("a throwing packet listener does not close the connection: later frames arrive and the error is the application's", async (t) => {
  const seen = await run("connection");
  t.deepEqual(seen.packets, ["a", "b"]);
  t.true(seen.open);
  t.true(seen.replied);
  t.deepEqual(seen.uncaught, ["packet listener bug"]);
});

test("a throwing established listener is not a failed attempt: no error event, no reconnect, still connected", async (t) => {
  const seen = await run("client");
  t.is(seen.established, 1);
  t.is(seen.errors, 0);
  t.true(seen.connected);
  t.deepEqual(seen.uncaught, ["established listener bug"]);
});
