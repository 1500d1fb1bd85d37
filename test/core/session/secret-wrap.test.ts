import { createCipheriv, randomBytes } from "node:crypto";
import test from "ava";
import { SecretWrap } from "../../../core/session/secret-wrap.js";

test("wrap is AES-256 per block under the given key, and unwrap inverts it", (t) => {
  const key = randomBytes(32);
  const wrap = new SecretWrap(key);
  const secret = randomBytes(32);
  const wrapped = wrap.wrap(secret);
  const reference = createCipheriv("aes-256-ecb", key, null).setAutoPadding(false).update(secret);
  t.is(wrapped, reference.toString("latin1"), "one latin1 character per wrapped byte");
  t.not(wrapped, secret.toString("latin1"));
  t.deepEqual(wrap.unwrap(wrapped), secret);
});

test("each wrap stands alone: the shared context carries nothing from one call to the next", (t) => {
  const wrap = new SecretWrap();
  const secrets = Array.from({ length: 4 }, () => randomBytes(32));
  const once = secrets.map((s) => wrap.wrap(s));
  t.deepEqual(
    secrets.map((s) => wrap.wrap(s)),
    once,
  );
  t.deepEqual(
    once.reverse().map((w) => wrap.unwrap(w)),
    secrets.reverse(),
  );
});

test("a partial block is refused before it reaches the context, which stays usable", (t) => {
  const wrap = new SecretWrap();
  const secret = randomBytes(32);
  const before = wrap.wrap(secret);
  for (const length of [0, 1, 31, 33])
    t.throws(() => wrap.wrap(randomBytes(length)), { instanceOf: RangeError }, `${length} bytes`);
  t.throws(() => wrap.unwrap(randomBytes(17).toString("latin1")), { instanceOf: RangeError });
  t.deepEqual(wrap.wrap(secret), before);
  t.deepEqual(wrap.unwrap(before), secret);
});

test("another key wraps differently and does not unwrap", (t) => {
  const secret = randomBytes(32);
  const a = new SecretWrap();
  const b = new SecretWrap();
  t.not(a.wrap(secret), b.wrap(secret));
  t.false(b.unwrap(a.wrap(secret)).equals(secret));
});
