import "reflect-metadata";
import { copyFileSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import anyTest, { type TestFn } from "ava";
import { IdentityKey } from "../../core/crypto/identity-key.js";
import { ChildServer, type Finished, runCli } from "../helpers/child-process.js";
import { reservedPort } from "../helpers/ports.js";
import { RedisServer } from "../helpers/redis.js";

interface Cluster {
  dir: string;
  redis: RedisServer;
  a: ChildServer;
  b: ChildServer;
  keyFile: string;
  otherPub: string;
}
const test = anyTest as TestFn<Cluster>;

interface Outcome {
  outcome: "handshake" | "fast_connect";
  sessionId: string | null;
  heartbeatMs: number;
  fastConnectError?: string;
}

test.before(async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mpush-cli-"));
  const keyFile = join(dir, "server.key");
  const otherFile = join(dir, "other.key");
  await IdentityKey.loadOrCreate(keyFile);
  await IdentityKey.loadOrCreate(otherFile);
  const redis = await RedisServer.start();
  const node = async () =>
    ChildServer.start({
      MPUSH_PORT: String(await reservedPort()),
      MPUSH_KEY_FILE: keyFile,
      MPUSH_SESSION_STORE: redis.url,
    });
  const started = await Promise.allSettled([node(), node()]);
  const nodes = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  if (nodes.length < 2) {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
    throw (started.find((s) => s.status === "rejected") as PromiseRejectedResult).reason;
  }
  const [a, b] = nodes as [ChildServer, ChildServer];
  t.context = { dir, redis, a, b, keyFile, otherPub: `${otherFile}.pub` };
});

test.after.always(async (t) => {
  await Promise.all([t.context.a?.stop(), t.context.b?.stop()]);
  await t.context.redis?.stop();
});

function client(ctx: Cluster, port: number, sessionFile: string, extra: string[] = []): Promise<Finished> {
  return runCli([
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--device-id",
    "phone-1",
    "--session-file",
    sessionFile,
    "--server-key",
    `${ctx.keyFile}.pub`,
    ...extra,
  ]);
}

/** Exit 0, exactly one line on stdout, and that line is the outcome JSON. */
function connected(t: import("ava").ExecutionContext<Cluster>, run: Finished): Outcome {
  t.is(run.code, 0, run.stderr);
  const lines = run.stdout.split("\n");
  t.is(lines.length, 2, `stdout: ${JSON.stringify(run.stdout)}`);
  t.is(lines[1], "");
  return JSON.parse(lines[0] as string) as Outcome;
}

test.serial("handshake on node A; fast_connect on node B with the same session file; the id rotates", async (t) => {
  const file = join(t.context.dir, "rotation.json");
  const first = connected(t, await client(t.context, t.context.a.port, file));
  t.is(first.outcome, "handshake");
  t.regex(first.sessionId ?? "", /^[A-Za-z0-9_-]{24}$/);
  t.is(first.fastConnectError, undefined);
  t.is(statSync(file).mode & 0o777, 0o600);

  copyFileSync(file, `${file}.before`);
  const second = connected(t, await client(t.context, t.context.b.port, file));
  t.is(second.outcome, "fast_connect");
  t.not(second.sessionId, first.sessionId);
  t.is(second.fastConnectError, undefined);
  t.is(JSON.parse(readFileSync(file, "utf8")).sessionId, second.sessionId);

  // The chain goes on, on either node.
  const third = connected(t, await client(t.context, t.context.a.port, file));
  t.is(third.outcome, "fast_connect");

  // The copy taken before that resume holds the rotated-away id: refused, then a full handshake.
  const stale = connected(t, await client(t.context, t.context.a.port, `${file}.before`));
  t.is(stale.outcome, "handshake");
  t.is(stale.fastConnectError, "SESSION_EXPIRED");
  t.regex(stale.sessionId ?? "", /^[A-Za-z0-9_-]{24}$/);

  // That full handshake of the device superseded the chain the original file still holds.
  const superseded = connected(t, await client(t.context, t.context.b.port, file));
  t.is(superseded.outcome, "handshake");
  t.is(superseded.fastConnectError, "SESSION_EXPIRED");
});

test.serial("another --device-id with the session file: INVALID_DEVICE, then a fresh handshake", async (t) => {
  const file = join(t.context.dir, "device.json");
  const mine = connected(t, await client(t.context, t.context.a.port, file));
  t.is(mine.outcome, "handshake");
  const run = await runCli([
    "--port",
    String(t.context.b.port),
    "--device-id",
    "phone-2",
    "--session-file",
    file,
    "--server-key",
    `${t.context.keyFile}.pub`,
  ]);
  const other = connected(t, run);
  t.is(other.outcome, "handshake");
  t.is(other.fastConnectError, "INVALID_DEVICE");
  t.not(other.sessionId, mine.sessionId);
  t.is(JSON.parse(readFileSync(file, "utf8")).deviceId, "phone-2");
});

test.serial("FLUSHALL: SESSION_EXPIRED, then a fresh handshake that is resumable again", async (t) => {
  const file = join(t.context.dir, "flush.json");
  t.is(connected(t, await client(t.context, t.context.a.port, file)).outcome, "handshake");
  t.is(await t.context.redis.cli("FLUSHALL"), "OK");
  const flushed = connected(t, await client(t.context, t.context.b.port, file));
  t.is(flushed.outcome, "handshake");
  t.is(flushed.fastConnectError, "SESSION_EXPIRED");
  t.is(connected(t, await client(t.context, t.context.a.port, file)).outcome, "fast_connect");
});

test.serial(
  "a wrong --server-key (another key's .pub) exits non-zero with a clear message and keeps the session file",
  async (t) => {
    const file = join(t.context.dir, "wrong-key.json");
    t.is(connected(t, await client(t.context, t.context.a.port, file)).outcome, "handshake");
    const before = readFileSync(file, "utf8");
    const run = await runCli([
      "--port",
      String(t.context.a.port),
      "--device-id",
      "phone-1",
      "--session-file",
      file,
      "--server-key",
      t.context.otherPub,
    ]);
    t.not(run.code, 0);
    t.is(run.stdout, "");
    t.regex(run.stderr, /not signed by the pinned server key/);
    t.is(readFileSync(file, "utf8"), before);
  },
);

test.serial("an unreachable port exits non-zero and says so", async (t) => {
  const port = await reservedPort();
  const run = await client(t.context, port, join(t.context.dir, "unreachable.json"));
  t.not(run.code, 0);
  t.is(run.stdout, "");
  t.regex(run.stderr, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}`));
});

test.serial(
  "a HANDSHAKE the server refuses (OVERLOADED) exits 1 with the server's reason and no stack trace",
  async (t) => {
    const limited = await ChildServer.start({
      MPUSH_PORT: String(await reservedPort()),
      MPUSH_KEY_FILE: t.context.keyFile,
      MPUSH_HANDSHAKES_PER_SECOND: "1",
    });
    t.teardown(() => limited.stop());
    // Started together, so the one token of the burst cannot refill between them.
    const runs = await Promise.all(
      ["limited-1.json", "limited-2.json"].map((file) => client(t.context, limited.port, join(t.context.dir, file))),
    );
    const refused = runs.filter((run) => run.code !== 0);
    t.is(refused.length, 1, JSON.stringify(runs));
    t.is(connected(t, runs.find((run) => run.code === 0) as Finished).outcome, "handshake");
    t.is(refused[0]?.code, 1);
    t.is(refused[0]?.stdout, "");
    t.is(
      refused[0]?.stderr,
      "mpush: server refused command 2: OVERLOADED (over the server's handshake rate; retry after a backoff)\n",
    );
  },
);

test.serial("both nodes booted with the one shared key file and logged the same fingerprint", (t) => {
  const fingerprints = [t.context.a, t.context.b].map((node) => /"fingerprint":"([^"]+)"/.exec(node.log)?.[1]);
  t.truthy(fingerprints[0]);
  t.is(fingerprints[0], fingerprints[1]);
});

// Last: it stops Redis.
test.serial(
  'Redis down: STORE_UNAVAILABLE, a handshake printed with "sessionId":null and the file kept; with Redis back, resumable again',
  async (t) => {
    const file = join(t.context.dir, "outage.json");
    t.is(connected(t, await client(t.context, t.context.a.port, file)).outcome, "handshake");
    const saved = readFileSync(file, "utf8");
    await t.context.redis.stop();

    const down = connected(t, await client(t.context, t.context.b.port, file));
    t.deepEqual(
      { outcome: down.outcome, sessionId: down.sessionId, fastConnectError: down.fastConnectError },
      { outcome: "handshake", sessionId: null, fastConnectError: "STORE_UNAVAILABLE" },
    );
    t.is(readFileSync(file, "utf8"), saved, "nothing to resume was saved over the session kept for later");

    await t.context.redis.restart();
    t.regex((await resumableAgain(t.context, file))?.sessionId ?? "", /^[A-Za-z0-9_-]{24}$/);
  },
);

/** The nodes' Redis client reconnects with a backoff: retry until a run gets a resumable session. */
async function resumableAgain(ctx: Cluster, file: string): Promise<Outcome | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const run = await client(ctx, ctx.a.port, file);
    const outcome = run.code === 0 ? (JSON.parse(run.stdout) as Outcome) : undefined;
    if (outcome?.sessionId) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}
