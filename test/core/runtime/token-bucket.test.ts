import test from "ava";
import { TokenBucket } from "../../../core/runtime/token-bucket.js";

test("a full bucket gives its burst, then refills at the rate", (t) => {
  const bucket = new TokenBucket(10, 3, 0);
  t.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)], [true, true, true, false]);
  t.false(bucket.take(99), "0.99 of a token is not one");
  t.true(bucket.take(100));
  t.false(bucket.take(100));
});

test("idle time refills no more than the burst", (t) => {
  const bucket = new TokenBucket(1000, 2, 0);
  const taken = Array.from({ length: 5 }, () => bucket.take(60_000)).filter(Boolean).length;
  t.is(taken, 2);
});

test("a clock that steps back refills nothing, and the refill resumes from the latest time seen", (t) => {
  const bucket = new TokenBucket(1, 1, 10_000);
  t.true(bucket.take(10_000));
  t.false(bucket.take(5_000));
  t.false(bucket.take(10_500));
  t.true(bucket.take(11_000));
});
