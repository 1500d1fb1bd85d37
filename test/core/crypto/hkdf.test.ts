import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import test from "ava";
import fc from "fast-check";
import { deriveSecret, hkdfExpand, hkdfExpandLabel, hkdfExtract, hkdfLabel } from "../../../core/crypto/hkdf.js";
import { HmacKey, hmacSha256, sha256 } from "../../../core/crypto/sha256.js";

const hex = (s: string) => Buffer.from(s, "hex");

test("RFC 5869 test case 1 (HKDF-SHA256)", (t) => {
  const ikm = Buffer.alloc(22, 0x0b);
  const salt = hex("000102030405060708090a0b0c");
  const info = hex("f0f1f2f3f4f5f6f7f8f9");
  const prk = hkdfExtract(salt, ikm);
  t.is(prk.toString("hex"), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  t.is(
    hkdfExpand(prk, info, 42).toString("hex"),
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  );
});

test("RFC 5869 test case 3 (empty salt and info)", (t) => {
  const prk = hkdfExtract(Buffer.alloc(0), Buffer.alloc(22, 0x0b));
  t.is(prk.toString("hex"), "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
  t.is(
    hkdfExpand(prk, Buffer.alloc(0), 42).toString("hex"),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  );
});

test("extract + expand equals node's crypto.hkdfSync for random inputs", (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.integer({ min: 1, max: 255 * 32 }),
      (ikm, salt, info, length) => {
        const ours = hkdfExpand(hkdfExtract(salt, ikm), info, length);
        const node = Buffer.from(hkdfSync("sha256", ikm, salt, info, length));
        return ours.equals(node);
      },
    ),
    { numRuns: 200 },
  );
  t.pass();
});

test("a shorter output is a prefix of a longer one, down to the one-block lengths the key schedule uses", (t) => {
  const prk = randomBytes(32);
  const info = randomBytes(10);
  const long = hkdfExpand(prk, info, 42);
  for (const length of [32, 16, 12]) t.deepEqual(hkdfExpand(prk, info, length), long.subarray(0, length));
});

test("a secret passed as an HmacKey derives exactly what its bytes derive", (t) => {
  const secret = randomBytes(32);
  const th = randomBytes(32);
  const key = new HmacKey(secret);
  t.deepEqual(deriveSecret(key, "res master", th), deriveSecret(secret, "res master", th));
  t.deepEqual(deriveSecret(key, "s finished", th), deriveSecret(secret, "s finished", th), "reused");
  t.deepEqual(hkdfExpand(key, th, 80), hkdfExpand(secret, th, 80));
});

test("expand gives up to 255 hash lengths and refuses more", (t) => {
  t.is(hkdfExpand(randomBytes(32), Buffer.alloc(0), 255 * 32).length, 255 * 32);
  t.throws(() => hkdfExpand(randomBytes(32), Buffer.alloc(0), 255 * 32 + 1), { instanceOf: RangeError });
});

test('hkdfLabel is u16 length, u8-prefixed "mpush1 " + label, u8-prefixed context', (t) => {
  const label = hkdfLabel("key", Buffer.from([1, 2, 3]), 16);
  t.deepEqual([...label], [0x00, 0x10, 10, ...Buffer.from("mpush1 key", "ascii"), 3, 1, 2, 3]);
  const empty = hkdfLabel("c ap traffic", Buffer.alloc(0), 0x0120);
  t.deepEqual([...empty], [0x01, 0x20, 19, ...Buffer.from("mpush1 c ap traffic", "ascii"), 0]);
});

test("hkdfExpandLabel is HKDF-Expand over hkdfLabel", (t) => {
  const secret = randomBytes(32);
  const context = randomBytes(32);
  t.true(hkdfExpandLabel(secret, "iv", context, 12).equals(hkdfExpand(secret, hkdfLabel("iv", context, 12), 12)));
  t.false(hkdfExpandLabel(secret, "iv", context, 12).equals(hkdfExpandLabel(secret, "key", context, 12)));
});

test("deriveSecret gives 32 bytes bound to the label and the transcript", (t) => {
  const secret = randomBytes(32);
  const th = sha256(Buffer.from("transcript"));
  const derived = deriveSecret(secret, "res master", th);
  t.is(derived.length, 32);
  t.true(derived.equals(hkdfExpandLabel(secret, "res master", th, 32)));
  t.false(derived.equals(deriveSecret(secret, "res master", sha256(Buffer.from("other")))));
});

test("sha256 and hmacSha256 hash the concatenation of their parts", (t) => {
  const a = Buffer.from("ab");
  const b = Buffer.from("cd");
  t.is(sha256(a, b).toString("hex"), sha256(Buffer.from("abcd")).toString("hex"));
  t.true(hmacSha256(a, b, a).equals(createHmac("sha256", a).update("cdab").digest()));
});
