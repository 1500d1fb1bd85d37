import { generateKeyPairSync } from "node:crypto";
import test from "ava";
import { IdentityKey } from "../../../core/crypto/identity-key.js";
import { PinnedServerKey } from "../../../core/crypto/pinned-server-key.js";

test("PinnedServerKey.all reads every public key in concatenated .pub files", (t) => {
  const a = IdentityKey.generate();
  const b = IdentityKey.generate();
  t.deepEqual(
    PinnedServerKey.all(a.publicKeyPem() + b.publicKeyPem()).map((k) => k.fingerprint),
    [a.fingerprint, b.fingerprint],
  );
  t.deepEqual(
    PinnedServerKey.all(a.publicKeyPem()).map((k) => k.fingerprint),
    [a.fingerprint],
  );
  t.deepEqual(
    PinnedServerKey.all(b.publicKeyRaw).map((k) => k.fingerprint),
    [b.fingerprint],
  );
});

test("a pinned key given as the .pub file's bytes reads as PEM; anything else is refused by name", (t) => {
  const key = IdentityKey.generate();
  const pemBytes = Buffer.from(key.publicKeyPem());
  t.is(PinnedServerKey.from(pemBytes).fingerprint, key.fingerprint);
  t.is(PinnedServerKey.all(pemBytes)[0]?.fingerprint, key.fingerprint);
  t.throws(() => PinnedServerKey.from(Buffer.alloc(31)), {
    instanceOf: RangeError,
    message: "a raw server key is 32 bytes, not 31",
  });
  const error = t.throws(() => PinnedServerKey.from("garbage"), { message: "server key is not a PEM public key" });
  t.truthy(error?.cause);
});

test("a private key given as the pin is refused: the client must never hold it", (t) => {
  const { privateKey: privatePem, publicKey: publicPem } = pemPair();
  t.throws(() => PinnedServerKey.from(privatePem), {
    message: "server key is a private key: pin its public half, the .pub file",
  });
  t.throws(() => PinnedServerKey.all(`${publicPem}${privatePem}`), { message: /is a private key/ });
  t.is(PinnedServerKey.from(publicPem).fingerprint, IdentityKey.fromPem(privatePem).fingerprint);
  // Only a block labelled as a private key counts, not the words in a comment beside the key.
  t.is(
    PinnedServerKey.from(`# pin this, never the PRIVATE KEY file\n${publicPem}`).fingerprint,
    IdentityKey.fromPem(privatePem).fingerprint,
  );
});

test("a private key in any PEM form is refused as one, even beside a public key", (t) => {
  const sec1 = generateKeyPairSync("ec", {
    namedCurve: "P-256",
    privateKeyEncoding: { format: "pem", type: "sec1" },
    publicKeyEncoding: { format: "pem", type: "spki" },
  }).privateKey;
  t.regex(sec1, /^-----BEGIN EC PRIVATE KEY-----/);
  t.throws(() => PinnedServerKey.from(sec1), { message: /is a private key/ });
  const { privateKey: privatePem, publicKey: publicPem } = pemPair();
  t.throws(() => PinnedServerKey.from(`${publicPem}${privatePem}`), { message: /is a private key/ });
});

/**
 * Encoded inside the generation call: exporting a generated KeyObject afterwards can deadlock
 * Node 20 when a GC lands in the export (core/crypto/okp-key.ts).
 */
function pemPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("ed25519", {
    privateKeyEncoding: { format: "pem", type: "pkcs8" },
    publicKeyEncoding: { format: "pem", type: "spki" },
  });
}
