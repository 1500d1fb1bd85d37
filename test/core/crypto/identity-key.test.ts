import { generateKeyPairSync } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import test from "ava";
import { IdentityKey } from "../../../core/crypto/identity-key.js";
import { PinnedServerKey } from "../../../core/crypto/pinned-server-key.js";
import { KeyFileError } from "../../../core/errors/boot-errors.js";

const tempDir = () => mkdtempSync(join(tmpdir(), "mpush-key-"));

test("loadOrCreate creates a 0600 key with its .pub beside it, then loads the same key", async (t) => {
  const file = join(tempDir(), "nested", "server.key");
  const first = await IdentityKey.loadOrCreate(file);
  t.true(first.created);
  t.false(first.exposed);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(readFileSync(`${file}.pub`, "utf8"), first.key.publicKeyPem());
  const second = await IdentityKey.loadOrCreate(file);
  t.false(second.created);
  t.false(second.exposed);
  t.is(second.key.fingerprint, first.key.fingerprint);
  t.true(second.key.recordKey.equals(first.key.recordKey));
  t.true(second.key.indexKey.equals(first.key.indexKey));
});

test("a key file that is not an Ed25519 PEM is refused with a cause", async (t) => {
  const dir = tempDir();
  const garbage = join(dir, "garbage.key");
  writeFileSync(garbage, "not a key");
  const error = await t.throwsAsync(IdentityKey.loadOrCreate(garbage), {
    instanceOf: KeyFileError,
    message: `MPUSH_ERR_KEY_FILE: key file ${garbage} does not hold a PEM Ed25519 private key`,
  });
  t.is((error as KeyFileError).code, "MPUSH_ERR_KEY_FILE");
  t.truthy(error?.cause);
  const rsa = join(dir, "rsa.key");
  // Encoded by the generation itself: exporting a generated KeyObject can deadlock Node 20 (core/crypto/okp-key.ts).
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 1024,
    privateKeyEncoding: { format: "pem", type: "pkcs8" },
    publicKeyEncoding: { format: "pem", type: "spki" },
  });
  writeFileSync(rsa, privateKey);
  await t.throwsAsync(IdentityKey.loadOrCreate(rsa), { message: /does not hold a PEM Ed25519/ });
});

test("a key file that group or others may read or write is loaded but flagged as exposed", async (t) => {
  const file = join(tempDir(), "server.key");
  await IdentityKey.loadOrCreate(file);
  for (const mode of [0o640, 0o604, 0o620]) {
    chmodSync(file, mode);
    t.true((await IdentityKey.loadOrCreate(file)).exposed, mode.toString(8));
  }
  chmodSync(file, 0o400);
  t.false((await IdentityKey.loadOrCreate(file)).exposed);
});

test("a key file that cannot be read or created is a KeyFileError naming it, with the cause", async (t) => {
  const dir = tempDir();
  const blocker = join(dir, "not-a-dir");
  writeFileSync(blocker, "");
  const under = join(blocker, "server.key");
  const unreadable = await t.throwsAsync(IdentityKey.loadOrCreate(under), {
    instanceOf: KeyFileError,
    message: `MPUSH_ERR_KEY_FILE: key file ${under} cannot be read`,
  });
  t.is((unreadable?.cause as NodeJS.ErrnoException | undefined)?.code, "ENOTDIR");
  const directory = join(dir, "a-directory.key");
  mkdirSync(directory);
  await t.throwsAsync(IdentityKey.loadOrCreate(directory), {
    instanceOf: KeyFileError,
    message: `MPUSH_ERR_KEY_FILE: key file ${directory} cannot be read`,
  });
  // A dangling link reads as missing, and "wx" (O_EXCL) refuses to create through it, even as root.
  const uncreatable = join(dir, "dangling.key");
  symlinkSync(join(dir, "nowhere", "server.key"), uncreatable);
  const error = await t.throwsAsync(IdentityKey.loadOrCreate(uncreatable), {
    instanceOf: KeyFileError,
    message: `MPUSH_ERR_KEY_FILE: key file ${uncreatable} is missing and cannot be created`,
  });
  t.truthy(error?.cause);
});

test("a key file whose directory cannot be made (under /proc) is a KeyFileError at once, not a boot that never ends", async (t) => {
  t.timeout(5000, "Node's recursive mkdir spins for good on such a path");
  const file = "/proc/mpush-no-such-dir/server.key";
  const error = await t.throwsAsync(IdentityKey.loadOrCreate(file), {
    instanceOf: KeyFileError,
    message: `MPUSH_ERR_KEY_FILE: key file ${file} is missing and cannot be created`,
  });
  t.is((error?.cause as NodeJS.ErrnoException | undefined)?.code, "ENOENT");
});

test("signatures verify against the pinned public key, PEM or raw, and nothing else", (t) => {
  const key = IdentityKey.generate();
  const data = Buffer.from("transcript");
  const signature = key.sign(data);
  for (const pinned of [PinnedServerKey.from(key.publicKeyPem()), PinnedServerKey.from(key.publicKeyRaw)]) {
    t.is(pinned.fingerprint, key.fingerprint);
    t.true(pinned.verify(data, signature));
    t.false(pinned.verify(Buffer.from("transcripT"), signature));
    t.false(pinned.verify(data, signature.subarray(1)));
  }
  t.false(PinnedServerKey.from(IdentityKey.generate().publicKeyRaw).verify(data, signature));
});

test("the storage keys are 32 bytes, distinct, and differ between identities", (t) => {
  const a = IdentityKey.generate();
  const b = IdentityKey.generate();
  t.is(a.recordKey.length, 32);
  t.is(a.indexKey.length, 32);
  t.false(a.recordKey.equals(a.indexKey));
  t.false(a.recordKey.equals(b.recordKey));
  t.regex(a.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test("a rotated key keeps the previous storage keys, through the file and through a chain of rotations", async (t) => {
  const previous = IdentityKey.generate();
  const rotated = IdentityKey.generate(previous);
  t.not(rotated.fingerprint, previous.fingerprint);
  t.true(rotated.carriesStorage);
  t.false(previous.carriesStorage);
  const file = join(tempDir(), "rotated.key");
  await IdentityKey.generate(rotated).writeTo(file);
  const { key } = await IdentityKey.loadOrCreate(file);
  t.true(key.carriesStorage);
  t.is(key.storageId, previous.storageId);
  t.true(key.recordKey.equals(previous.recordKey));
  t.true(key.indexKey.equals(previous.indexKey));
  // The storage id names the secret; it is none of the keys derived from it.
  t.false(key.recordKey.toString("base64url").includes(key.storageId));
  t.false(readFileSync(file, "utf8").includes(previous.recordKey.toString("base64")));
});

test("a key generated without a previous one has storage keys of its own", (t) => {
  const a = IdentityKey.generate();
  const b = IdentityKey.generate();
  t.not(a.storageId, b.storageId);
  t.false(a.recordKey.equals(b.recordKey));
});

test("a key file with a malformed storage block or two key blocks is refused", async (t) => {
  const dir = tempDir();
  const source = join(dir, "source.key");
  await IdentityKey.generate(IdentityKey.generate()).writeTo(source);
  const pem = readFileSync(source, "utf8");
  const cases: [string, string, RegExp][] = [
    ["short.key", pem.replace(/(STORAGE SECRET-----\n)[^\n]+/, "$1AAAA"), /must be 32 bytes, not 3/],
    ["twice.key", pem + pem.slice(pem.indexOf("-----BEGIN MPUSH")), /more than one MPUSH STORAGE SECRET block/],
    ["two-keys.key", pem + pem.slice(0, pem.indexOf("-----BEGIN MPUSH")), /more than one key block/],
    ["public.key", IdentityKey.generate().publicKeyPem(), /holds a public key/],
  ];
  for (const [name, text, cause] of cases) {
    const file = join(dir, name);
    writeFileSync(file, text);
    const error = await t.throwsAsync(IdentityKey.loadOrCreate(file), {
      instanceOf: KeyFileError,
      message: `MPUSH_ERR_KEY_FILE: key file ${file} does not hold a PEM Ed25519 private key`,
    });
    t.regex((error?.cause as Error | undefined)?.message ?? "", cause, name);
  }
});

test("a storage-secret block that is cut short, has no END line or a stray space is refused, not skipped", async (t) => {
  const file = join(tempDir(), "rotated.key");
  await IdentityKey.generate(IdentityKey.generate()).writeTo(file);
  const whole = readFileSync(file, "utf8");
  const [keyPart, storagePart] = whole.split(/(?=-----BEGIN MPUSH STORAGE SECRET-----)/) as [string, string];
  for (const damaged of [
    keyPart + storagePart.slice(0, 40),
    keyPart + storagePart.replace(/-----END MPUSH STORAGE SECRET-----\n?/, ""),
    keyPart + storagePart.replace("-----BEGIN MPUSH STORAGE SECRET-----", "-----BEGIN MPUSH STORAGE SECRET----- "),
  ]) {
    t.throws(() => IdentityKey.fromPem(damaged), { message: /a PEM block is damaged/ });
  }
  t.true(IdentityKey.fromPem(whole).carriesStorage);
});

test("nodes creating the same missing key file at once all end up with one key, created once", async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), "mpush-key-race-")), "server.key");
  const results = await Promise.all(Array.from({ length: 6 }, () => IdentityKey.loadOrCreate(file)));
  t.is(new Set(results.map((r) => r.key.fingerprint)).size, 1);
  t.is(results.filter((r) => r.created).length, 1);
  t.deepEqual(readdirSync(dirname(file)).sort(), ["server.key", "server.key.pub"], "no temporary file left behind");
});

test("a key file that is a link to nowhere is a clear error, not a loop", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mpush-key-link-"));
  const file = join(dir, "server.key");
  symlinkSync(join(dir, "nowhere"), file);
  await t.throwsAsync(IdentityKey.loadOrCreate(file), { instanceOf: KeyFileError });
});

test("a .pub beside the key that is not its public half is reported; the matching one is not", async (t) => {
  const file = join(tempDir(), "server.key");
  await IdentityKey.loadOrCreate(file);
  t.false((await IdentityKey.loadOrCreate(file)).publicMismatch);
  writeFileSync(`${file}.pub`, IdentityKey.generate().publicKeyPem());
  t.true((await IdentityKey.loadOrCreate(file)).publicMismatch);
});

test("an empty key file is refused as empty, and left as it is", async (t) => {
  const file = join(tempDir(), "server.key");
  writeFileSync(file, "\n", { mode: 0o600 });
  await t.throwsAsync(IdentityKey.loadOrCreate(file), {
    instanceOf: KeyFileError,
    message: `MPUSH_ERR_KEY_FILE: key file ${file} is empty: remove it to have a key created, or copy the cluster's key into it`,
  });
  t.is(readFileSync(file, "utf8"), "\n");
});
