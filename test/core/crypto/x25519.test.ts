import test from "ava";
import { generateEphemeral, X25519_KEY_LENGTH, x25519 } from "../../../core/crypto/x25519.js";

test("two ephemeral key pairs agree on one 32-byte secret", (t) => {
  const a = generateEphemeral();
  const b = generateEphemeral();
  t.is(a.publicKey.length, X25519_KEY_LENGTH);
  const ab = x25519(a.privateKey, b.publicKey);
  t.is(ab.length, 32);
  t.true(ab.equals(x25519(b.privateKey, a.publicKey)));
  t.false(ab.equals(x25519(a.privateKey, generateEphemeral().publicKey)));
});

test("a peer key of the wrong length is a RangeError", (t) => {
  const a = generateEphemeral();
  t.throws(() => x25519(a.privateKey, Buffer.alloc(31, 9)), { instanceOf: RangeError });
  t.throws(() => x25519(a.privateKey, Buffer.alloc(33, 9)), { instanceOf: RangeError });
});

test("a low-order peer key (all zeros) is refused", (t) => {
  t.throws(() => x25519(generateEphemeral().privateKey, Buffer.alloc(32)));
});
