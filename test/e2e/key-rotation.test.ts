import "reflect-metadata";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import anyTest, { type ExecutionContext, type TestFn } from "ava";
import { ChildServer, type Finished, runCli, runNode } from "../helpers/child-process.js";
import { reservedPort } from "../helpers/ports.js";
import { RedisServer } from "../helpers/redis.js";

interface Context {
  dir: string;
  redis: RedisServer;
  nodes: ChildServer[];
}
const test = anyTest as TestFn<Context>;

interface Outcome {
  outcome: "handshake" | "fast_connect";
  sessionId: string | null;
  fastConnectError?: string;
}

interface Generated {
  keyFile: string;
  publicKeyFile: string;
  fingerprint: string;
  storageId: string;
  keptSessionsOf: string | null;
}

test.before(async (t) => {
  t.context = { dir: mkdtempSync(join(tmpdir(), "mpush-rotation-")), redis: await RedisServer.start(), nodes: [] };
});

test.after.always(async (t) => {
  await Promise.all(t.context.nodes.map((node) => node.stop()));
  await t.context.redis?.stop();
});

async function node(t: ExecutionContext<Context>, keyFile: string): Promise<ChildServer> {
  const started = await ChildServer.start({
    MPUSH_PORT: String(await reservedPort()),
    MPUSH_KEY_FILE: keyFile,
    MPUSH_SESSION_STORE: t.context.redis.url,
  });
  t.context.nodes.push(started);
  return started;
}

function keygen(args: string[]): Promise<Finished> {
  return runNode("build/client/cli/main.js", ["keygen", ...args]);
}

function client(port: number, sessionFile: string, pins: string[]): Promise<Finished> {
  const keys = pins.flatMap((pub) => ["--server-key", pub]);
  return runCli(["--port", String(port), "--device-id", "phone-1", "--session-file", sessionFile, ...keys]);
}

function outcome(t: ExecutionContext<Context>, run: Finished): Outcome {
  t.is(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Outcome;
}

function generated(t: ExecutionContext<Context>, run: Finished): Generated {
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout.split("\n").length, 2, run.stdout);
  return JSON.parse(run.stdout) as Generated;
}

/** The storage id a node logged when it loaded its key. */
function storageId(server: ChildServer): string | undefined {
  return /"storageId":"([^"]+)"/.exec(server.log)?.[1];
}

test.serial("a planned rotation: sessions survive the new key, clients pinning both keys accept it", async (t) => {
  const { dir } = t.context;
  const oldKey = join(dir, "old.key");
  const newKey = join(dir, "new.key");
  const first = generated(t, await keygen(["--key-file", oldKey]));
  t.is(first.keptSessionsOf, null);
  const before = await node(t, oldKey);
  const session = join(dir, "phone.json");
  t.is(outcome(t, await client(before.port, session, [`${oldKey}.pub`])).outcome, "handshake");

  const rotated = generated(t, await keygen(["--key-file", newKey, "--keep-sessions-of", oldKey]));
  t.is(rotated.keptSessionsOf, first.fingerprint);
  t.not(rotated.fingerprint, first.fingerprint);
  t.is(statSync(newKey).mode & 0o777, 0o600);
  t.is(rotated.publicKeyFile, `${newKey}.pub`);
  t.regex(readFileSync(newKey, "utf8"), /BEGIN MPUSH STORAGE SECRET/);

  // Old and new nodes side by side, as in a rolling restart: one storage secret, two signing keys.
  const after = await node(t, newKey);
  t.truthy(storageId(before));
  t.is(storageId(after), storageId(before));
  // keygen said so before any node ran: the kept storage secret, and so the same id.
  t.is(first.storageId, storageId(before) as string);
  t.is(rotated.storageId, first.storageId);
  t.regex(after.log, /carried from a previous key/);

  // The session made under the old key resumes on the new node, and back on the old one.
  t.is(outcome(t, await client(after.port, session, [`${oldKey}.pub`, `${newKey}.pub`])).outcome, "fast_connect");
  t.is(outcome(t, await client(before.port, session, [`${oldKey}.pub`, `${newKey}.pub`])).outcome, "fast_connect");

  // A handshake on the new node verifies for a client pinning both, one file or two.
  const both = join(dir, "both.pub");
  writeFileSync(both, readFileSync(`${oldKey}.pub`, "utf8") + readFileSync(`${newKey}.pub`, "utf8"));
  const fresh = join(dir, "fresh.json");
  t.is(outcome(t, await client(after.port, fresh, [both])).outcome, "handshake");
  t.is(JSON.parse(readFileSync(fresh, "utf8")).serverFingerprint, rotated.fingerprint);
  t.is(outcome(t, await client(before.port, fresh, [both])).outcome, "fast_connect");

  // A client still pinning only the old key refuses the new node's handshake.
  const stale = await client(after.port, join(dir, "stale.json"), [`${oldKey}.pub`]);
  t.is(stale.code, 1);
  t.is(stale.stdout, "");
  t.regex(stale.stderr, /not signed by the pinned server key/);

  // Once the old key is dropped from the pins, a session made with it is not offered: a handshake instead.
  const dropped = outcome(t, await client(after.port, session, [`${newKey}.pub`]));
  t.is(dropped.outcome, "handshake");
  t.is(dropped.fastConnectError, undefined);
});

test.serial("a rotation after a compromise (no --keep-sessions-of) ends every session", async (t) => {
  const { dir } = t.context;
  const leaked = join(dir, "leaked.key");
  const replacement = join(dir, "replacement.key");
  generated(t, await keygen(["--key-file", leaked]));
  const before = await node(t, leaked);
  const session = join(dir, "compromised.json");
  t.is(outcome(t, await client(before.port, session, [`${leaked}.pub`])).outcome, "handshake");
  await before.stop();

  generated(t, await keygen(["--key-file", replacement]));
  const after = await node(t, replacement);
  t.not(storageId(after), storageId(before));
  const resumed = outcome(t, await client(after.port, session, [`${leaked}.pub`, `${replacement}.pub`]));
  t.is(resumed.outcome, "handshake");
  t.is(resumed.fastConnectError, "SESSION_EXPIRED");
});

test("keygen never replaces a key file and refuses a previous key it cannot read", async (t) => {
  const { dir } = t.context;
  const file = join(dir, "kept.key");
  generated(t, await keygen(["--key-file", file]));
  const pem = readFileSync(file, "utf8");
  const again = await keygen(["--key-file", file]);
  t.is(again.code, 1);
  t.is(again.stdout, "");
  t.is(again.stderr, `mpush: cannot write key file ${file}: it exists already\n`);
  t.is(readFileSync(file, "utf8"), pem);

  const missing = join(dir, "missing.key");
  const bad = await keygen(["--key-file", join(dir, "never.key"), "--keep-sessions-of", missing]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, new RegExp(`^mpush: cannot use ${missing} as the previous key: ENOENT`));
  t.throws(() => statSync(join(dir, "never.key")));

  const pub = await keygen(["--key-file", join(dir, "never.key"), "--keep-sessions-of", `${file}.pub`]);
  t.is(pub.code, 1);
  t.is(
    pub.stderr,
    `mpush: cannot use ${file}.pub as the previous key: it holds a public key (a .pub file), not the private key\n`,
  );

  const usage = await keygen([]);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /missing --key-file/);
});
