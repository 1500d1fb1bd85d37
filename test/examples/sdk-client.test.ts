import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { ROOT } from "../helpers/child-process.js";
import { GREETING, greeterPlugin } from "../helpers/greeter-plugin.js";
import { startServer } from "../helpers/server.js";
import { eventually } from "../helpers/wait.js";

const PUSH = GREETING;

const greeter = greeterPlugin("welcome", "welcome back");

/** The example as a user runs it; its JSON lines as they come. */
function run(args: string[]): { child: ChildProcess; lines: Record<string, unknown>[] } {
  const child = spawn(process.execPath, ["build/examples/sdk-client/main.js", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Record<string, unknown>[] = [];
  let rest = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = rest + chunk.toString();
    const parts = text.split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) lines.push(JSON.parse(line));
  });
  return { child, lines };
}

async function stopped(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  return exited;
}

test("the SDK example connects, prints the server's push, exits on SIGTERM, and resumes from its session file when run again", async (t) => {
  const server = await startServer({}, [{ plugin: greeter }]);
  t.teardown(server.close);
  const args = [
    "127.0.0.1",
    String(server.port),
    `${server.keyFile}.pub`,
    join(mkdtempSync(join(tmpdir(), "mpush-sdk-")), "s.json"),
  ];

  const first = run(args);
  t.teardown(() => first.child.kill("SIGKILL"));
  await eventually(() => (first.lines.some((l) => l.event === "push") ? true : undefined), 10_000);
  t.deepEqual(first.lines.slice(0, 2), [
    { event: "established", outcome: "handshake", heartbeatMs: 180_000 },
    { event: "push", cmd: PUSH, body: "welcome" },
  ]);
  t.is(await stopped(first.child), 0);

  const second = run(args);
  t.teardown(() => second.child.kill("SIGKILL"));
  await eventually(() => (second.lines.some((l) => l.event === "push") ? true : undefined), 10_000);
  t.deepEqual(second.lines.slice(0, 2), [
    { event: "established", outcome: "fast_connect", heartbeatMs: 180_000 },
    { event: "push", cmd: PUSH, body: "welcome back" },
  ]);
  t.is(await stopped(second.child), 0);
});

test("the SDK example takes the device id as its fifth argument, and its session is that device's", async (t) => {
  const server = await startServer({}, [{ plugin: greeter }]);
  t.teardown(server.close);
  const sessionFile = join(mkdtempSync(join(tmpdir(), "mpush-sdk-")), "tablet.json");
  const client = run(["127.0.0.1", String(server.port), `${server.keyFile}.pub`, sessionFile, "tablet-7"]);
  t.teardown(() => client.child.kill("SIGKILL"));
  await eventually(() => (client.lines.some((l) => l.event === "push") ? true : undefined), 10_000);
  t.is(await stopped(client.child), 0);
  t.is(JSON.parse(readFileSync(sessionFile, "utf8")).deviceId, "tablet-7");
});
