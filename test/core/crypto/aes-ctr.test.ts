import { createCipheriv, randomBytes } from "node:crypto";
import test from "ava";
import fc from "fast-check";
import { AesCtr } from "../../../core/crypto/aes-ctr.js";

const hex = (s: string) => Buffer.from(s, "hex");

function ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length);
  new AesCtr(key).apply(iv, data, out, 0);
  return out;
}

function reference(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  return createCipheriv("aes-256-ctr", key, iv).update(data);
}

test("NIST SP 800-38A F.5.5, CTR-AES256.Encrypt", (t) => {
  const key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  const iv = hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  const plain = hex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
  );
  t.is(
    ctr(key, iv, plain).toString("hex"),
    "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c52b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
  );
});

test("the counter carries across all 128 bits and wraps at 2^128, as OpenSSL counts", (t) => {
  const key = randomBytes(32);
  const data = randomBytes(16 * 5 + 3);
  for (const iv of [
    hex("ffffffffffffffffffffffffffffffff"),
    hex("000000000000000000000000fffffffe"),
    hex("00000000000000ffffffffffffffffff"),
    hex("0123456789abcdef00000000000000ff"),
  ]) {
    t.deepEqual(ctr(key, iv, data), reference(key, iv, data), iv.toString("hex"));
  }
});

test("matches node's aes-256-ctr for any key, counter and length, and one context serves call after call", (t) => {
  const key = randomBytes(32);
  const shared = new AesCtr(key);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 1200 }), (iv, data) => {
      const out = Buffer.alloc(data.length + 3);
      shared.apply(iv, data, out, 3);
      return out.subarray(3).equals(reference(key, iv, data));
    }),
    { numRuns: 500 },
  );
  t.pass("500 random cases agreed");
});

test("an initial counter that is not 16 bytes is refused", (t) => {
  t.throws(() => ctr(randomBytes(32), randomBytes(12), randomBytes(5)), { instanceOf: RangeError });
});
