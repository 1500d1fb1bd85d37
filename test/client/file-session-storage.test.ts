import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import type { ClientSession } from "../../client/session/client-session.js";
import { FileSessionStorage } from "../../client/session/file-session-storage.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "mpush-session-"));
}

function session(n: number): ClientSession {
  return {
    sessionId: `id-${n}`.padEnd(24, "x"),
    sessionSecret: Buffer.alloc(32, n).toString("base64"),
    deviceId: "device",
    expiresAtMs: 4_102_444_800_000,
    heartbeatMs: 1000,
    serverFingerprint: "SHA256:test",
    clockOffsetMs: 0,
  };
}

test("save then load round-trips; the file is mode 0600, even replacing a world-readable one", async (t) => {
  const file = join(tempDir(), "nested", "session.json");
  const storage = new FileSessionStorage(file);
  await storage.save(session(1));
  t.deepEqual(await storage.load(), session(1));
  t.is(statSync(file).mode & 0o777, 0o600);
  chmodSync(file, 0o644);
  await storage.save(session(2));
  t.is(statSync(file).mode & 0o777, 0o600);
  t.deepEqual(await storage.load(), session(2));
});

test("clear removes the session; clearing nothing is fine", async (t) => {
  const storage = new FileSessionStorage(join(tempDir(), "session.json"));
  await storage.clear();
  await storage.save(session(1));
  await storage.clear();
  t.is(await storage.load(), undefined);
});

test("a missing, empty, corrupt, truncated, wrongly shaped or unreadable file is no session, and says why unless missing", async (t) => {
  const dir = tempDir();
  const file = join(dir, "session.json");
  const reasons: string[] = [];
  const storage = new FileSessionStorage(file, { onUnusable: (reason) => reasons.push(reason) });
  t.is(await storage.load(), undefined, "missing");
  t.deepEqual(reasons, [], "a missing file is the first run, not a problem");
  const full = JSON.stringify(session(1));
  for (const [name, content, reason] of [
    ["empty", "", "is not JSON"],
    ["garbage", "\u0000\u0001not json", "is not JSON"],
    ["truncated", full.slice(0, full.length / 2), "is not JSON"],
    ["wrong shape", JSON.stringify({ sessionId: 42 }), "does not hold a session"],
    ["null", "null", "does not hold a session"],
    ["array", "[]", "does not hold a session"],
    ["secret missing", JSON.stringify({ ...session(1), sessionSecret: undefined }), "does not hold a session"],
  ] as const) {
    writeFileSync(file, content);
    reasons.length = 0;
    t.is(await storage.load(), undefined, name);
    t.deepEqual(reasons, [reason], name);
  }
  // Unreadable: a directory where the file should be (EISDIR). Mode 000 would not stop root, who runs these tests.
  const asDirectory = join(dir, "is-a-directory");
  mkdirSync(asDirectory);
  reasons.length = 0;
  const unreadable = new FileSessionStorage(asDirectory, { onUnusable: (reason) => reasons.push(reason) });
  t.is(await unreadable.load(), undefined, "unreadable");
  t.deepEqual(reasons, ["cannot be read: it is a directory"]);
});

test("a file whose clockOffsetMs is missing or not a number is no session", async (t) => {
  const file = join(tempDir(), "session.json");
  const storage = new FileSessionStorage(file);
  for (const [name, clockOffsetMs] of [
    ["missing", undefined],
    ["a string", "0"],
    ["null", null],
  ] as const) {
    writeFileSync(file, JSON.stringify({ ...session(1), clockOffsetMs }));
    t.is(await storage.load(), undefined, name);
  }
});

test("concurrent saves in one process all succeed and leave one whole session and no temp files", async (t) => {
  const dir = tempDir();
  const file = join(dir, "session.json");
  const storage = new FileSessionStorage(file);
  const writers = Array.from({ length: 20 }, (_, i) => storage.save(session(i)));
  const results = await Promise.allSettled(writers);
  t.deepEqual(
    results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason)),
    [],
  );
  const loaded = await storage.load();
  t.truthy(loaded);
  t.regex(loaded?.sessionId ?? "", /^id-\d+x*$/);
  t.deepEqual(readdirSync(dir), ["session.json"]);
});

test("a reader never sees a partial file while the session is rewritten", async (t) => {
  const file = join(tempDir(), "session.json");
  const storage = new FileSessionStorage(file);
  await storage.save(session(0));
  let misses = 0;
  let reading = true;
  const reader = (async () => {
    while (reading) if ((await storage.load()) === undefined) misses++;
  })();
  for (let i = 1; i <= 50; i++) await storage.save(session(i));
  reading = false;
  await reader;
  t.is(misses, 0);
});

test("save does not write through a file or symlink planted at a predictable temp path", async (t) => {
  const dir = tempDir();
  const file = join(dir, "session.json");
  const victim = join(dir, "victim.txt");
  writeFileSync(victim, "precious");
  // The name an attacker with write access to the directory could guess: file.<pid>.tmp
  symlinkSync(victim, `${file}.${process.pid}.tmp`);
  const storage = new FileSessionStorage(file);
  await storage.save(session(1));
  t.is(readFileSync(victim, "utf8"), "precious", "the secret was not written into the symlink's target");
  t.false(lstatSync(file).isSymbolicLink());
  t.is(statSync(file).mode & 0o777, 0o600);
  t.deepEqual(await storage.load(), session(1));
});

test("a save that cannot be done names the file and why, never the temp file, and leaves nothing behind", async (t) => {
  const dir = tempDir();
  const file = join(dir, "session.json");
  mkdirSync(file);
  const error = await t.throwsAsync(new FileSessionStorage(file).save(session(1)));
  t.is(error?.message, `${file}: it is a directory`);
  t.truthy(error?.cause);
  t.deepEqual(readdirSync(dir), ["session.json"]);
});

test("a directory that cannot be made, under a parent that takes no entries, fails the save instead of hanging it", async (t) => {
  t.timeout(5000, "Node's recursive mkdir spins for good on such a path");
  const file = "/proc/mpush-no-such-dir/session.json";
  const error = await t.throwsAsync(new FileSessionStorage(file).save(session(1)));
  t.regex(error?.message ?? "", /^\/proc\/mpush-no-such-dir\/session\.json: .*ENOENT/);
});

test("missing directories on the path are made, each with mode 0700", async (t) => {
  const dir = tempDir();
  const file = join(dir, "a", "b", "session.json");
  await new FileSessionStorage(file).save(session(2));
  t.is(statSync(join(dir, "a")).mode & 0o777, 0o700);
  t.is(statSync(join(dir, "a", "b")).mode & 0o777, 0o700);
  t.is(JSON.parse(readFileSync(file, "utf8")).sessionId, session(2).sessionId);
});
