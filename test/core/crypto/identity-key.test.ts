import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { IdentityKey, PinnedServerKey } from "../../../core/crypto/identity-key.js";

const tempDir = () => mkdtempSync(join(tmpdir(), "mpush-key-"));

test("loadOrCreate creates a 0600 key with its .pub beside it, then loads the same key", async (t) => {
  const file = join(tempDir(), "nested", "server.key");
  const first = await IdentityKey.loadOrCreate(file);
  t.true(first.created);
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(readFileSync(`${file}.pub`, "utf8"), first.key.publicKeyPem());
  const second = await IdentityKey.loadOrCreate(file);
  t.false(second.created);
  t.is(second.key.fingerprint, first.key.fingerprint);
  t.true(second.key.recordKey.equals(first.key.recordKey));
  t.true(second.key.indexKey.equals(first.key.indexKey));
});

test("a key file that is not an Ed25519 PEM is refused with a cause", async (t) => {
  const dir = tempDir();
  const garbage = join(dir, "garbage.key");
  writeFileSync(garbage, "not a key");
  const error = await t.throwsAsync(IdentityKey.loadOrCreate(garbage), { message: /does not hold a PEM Ed25519/ });
  t.truthy(error?.cause);
  const rsa = join(dir, "rsa.key");
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  writeFileSync(rsa, privateKey.export({ format: "pem", type: "pkcs8" }));
  await t.throwsAsync(IdentityKey.loadOrCreate(rsa), { message: /does not hold a PEM Ed25519/ });
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
