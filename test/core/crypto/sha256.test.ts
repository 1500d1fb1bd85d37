import { createHash, createHmac } from "node:crypto";
import test from "ava";
import fc from "fast-check";
import { HmacKey, hmacSha256, sha256 } from "../../../core/crypto/sha256.js";

const hex = (s: string) => Buffer.from(s, "hex");
const ascii = (s: string) => Buffer.from(s, "ascii");

test("SHA-256 matches the FIPS 180-2 examples, including a million 'a'", (t) => {
  t.is(sha256(ascii("abc")).toString("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  t.is(sha256().toString("hex"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  t.is(
    sha256(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toString("hex"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
  t.is(
    sha256(Buffer.alloc(1_000_000, "a")).toString("hex"),
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
  );
});

// RFC 4231 section 4, test cases 1-4, 6 and 7 (case 5 truncates its output).
const rfc4231 = [
  ["0b".repeat(20), ascii("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
  [
    ascii("Jefe").toString("hex"),
    ascii("what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  ],
  ["aa".repeat(20), hex("dd".repeat(50)), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
  [
    "0102030405060708090a0b0c0d0e0f10111213141516171819",
    hex("cd".repeat(50)),
    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
  ],
  [
    "aa".repeat(131),
    ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  ],
  [
    "aa".repeat(131),
    ascii(
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
    ),
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
  ],
] as const;

test("HMAC-SHA256 matches RFC 4231, keys longer than a block included", (t) => {
  for (const [key, data, mac] of rfc4231) {
    t.is(hmacSha256(hex(key), data).toString("hex"), mac);
    t.is(new HmacKey(hex(key)).mac(data).toString("hex"), mac);
  }
});

test("every length around the padding boundaries hashes as node:crypto does", (t) => {
  const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff));
  for (let length = 0; length <= 300; length++) {
    const part = data.subarray(0, length);
    t.deepEqual(sha256(part), createHash("sha256").update(part).digest(), `${length} bytes`);
  }
  for (const keyLength of [0, 1, 31, 32, 63, 64, 65, 128, 200])
    t.deepEqual(
      hmacSha256(data.subarray(0, keyLength), data),
      createHmac("sha256", data.subarray(0, keyLength)).update(data).digest(),
    );
});

test("random keys, messages and splits into parts agree with node:crypto", (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 150 }),
      fc.array(fc.uint8Array({ maxLength: 140 }), { maxLength: 5 }),
      (key, parts) => {
        const whole = Buffer.concat(parts);
        const hmac = createHmac("sha256", key).update(whole).digest();
        return (
          sha256(...parts).equals(createHash("sha256").update(whole).digest()) &&
          hmacSha256(key, ...parts).equals(hmac) &&
          new HmacKey(key).mac(...parts).equals(hmac)
        );
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});

test("an HmacKey gives the same MAC every time and is not disturbed by hashing in between", (t) => {
  const key = new HmacKey(ascii("key"));
  const first = key.mac(ascii("message"));
  sha256(Buffer.alloc(100, 1));
  hmacSha256(ascii("other"), ascii("x"));
  t.deepEqual(key.mac(ascii("message")), first);
  t.deepEqual(first, createHmac("sha256", "key").update("message").digest());
});

test("outputs are fresh buffers: changing one changes no later result", (t) => {
  const a = sha256(ascii("abc"));
  a.fill(0);
  t.is(sha256(ascii("abc")).toString("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});
