import test from "ava";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "../../client/connection/backoff.js";

const policy: BackoffPolicy = { baseMs: 100, factor: 2, maxMs: 5000, jitter: 0.3 };
const middle = () => 0.5; // no jitter: 2 * 0.5 - 1 = 0
const lowest = () => 0;
const highest = () => 1 - Number.EPSILON;

test("without jitter the delay grows by the factor from the base", (t) => {
  t.deepEqual(
    [0, 1, 2, 3, 4].map((n) => backoffDelay(policy, n, middle)),
    [100, 200, 400, 800, 1600],
  );
});

test("jitter spreads each delay over +/- the fraction, and not beyond", (t) => {
  t.is(backoffDelay(policy, 2, lowest), 280);
  t.is(backoffDelay(policy, 2, highest), 520);
  const samples = Array.from({ length: 2000 }, () => backoffDelay(policy, 2));
  t.true(Math.min(...samples) >= 280);
  t.true(Math.max(...samples) <= 520);
  // Spread over most of the range: clients of one node do not come back in step.
  t.true(Math.max(...samples) - Math.min(...samples) > 0.8 * 240);
  t.true(new Set(samples).size > 100);
});

test("maxMs caps the delay, jitter included", (t) => {
  for (const attempt of [6, 7, 10, 50, 1000, 1e6]) {
    for (const random of [lowest, middle, highest, Math.random]) {
      const delay = backoffDelay(policy, attempt, random);
      t.true(Number.isFinite(delay) && delay <= policy.maxMs, `attempt ${attempt}: ${delay}`);
      t.true(delay >= policy.maxMs * (1 - policy.jitter), `attempt ${attempt}: ${delay}`);
    }
  }
  t.true(backoffDelay(DEFAULT_BACKOFF, 100, highest) <= DEFAULT_BACKOFF.maxMs);
});

test("attempt Infinity is the capped delay, whatever the factor (1 ** Infinity is NaN)", (t) => {
  for (const factor of [1, 1.8, 0.5]) {
    const exact = { ...policy, factor, jitter: 0 };
    t.is(backoffDelay(exact, Number.POSITIVE_INFINITY), policy.maxMs, `factor ${factor}`);
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay({ ...policy, factor }, Number.POSITIVE_INFINITY);
      t.true(delay >= policy.maxMs * (1 - policy.jitter) && delay <= policy.maxMs, `factor ${factor}: ${delay}`);
    }
  }
});

test("delays are never negative, and jitter 0 is deterministic", (t) => {
  const exact = { ...policy, jitter: 0 };
  t.is(backoffDelay(exact, 3, lowest), 800);
  t.is(backoffDelay(exact, 3, highest), 800);
  t.true(backoffDelay({ ...policy, jitter: 1 }, 0, lowest) >= 0);
});

test("the default policy is goim's: 3 s, x1.8, +/-30 %, at most 5 min", (t) => {
  t.deepEqual(DEFAULT_BACKOFF, { baseMs: 3000, factor: 1.8, maxMs: 300_000, jitter: 0.3 });
  t.is(backoffDelay(DEFAULT_BACKOFF, 0, middle), 3000);
  t.is(backoffDelay(DEFAULT_BACKOFF, 1, middle), 5400);
});
