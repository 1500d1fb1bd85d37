import test from "ava";
import { RecordCache } from "../../../core/session/record-cache.js";
import { sessionRecord } from "../../helpers/session-record.js";

const KEYS = { session: "s:hmac-of-the-id", device: "d:hmac-of-the-device" };

test("a cached record reads back equal, secret included, until it expires or is deleted", (t) => {
  const cache = new RecordCache(10);
  const now = 1_000_000;
  const record = sessionRecord(now, {}, 5000);
  cache.set("a", record, KEYS);
  t.deepEqual(cache.get("a", now), record);
  t.deepEqual(cache.get("a", now + 4999), record);
  t.is(cache.get("a", now + 5000), undefined, "expired at expiresAtMs");
  t.is(cache.size, 0, "an expired entry is dropped when read");
  cache.set("b", record, KEYS);
  cache.delete("b");
  t.is(cache.get("b", now), undefined);
});

test("the secret is not kept as it was given: the caller's buffer may change without changing the entry", (t) => {
  const cache = new RecordCache(10);
  const record = sessionRecord(0, {}, 5000);
  const secret = Buffer.from(record.sessionSecret);
  cache.set("a", record, KEYS);
  record.sessionSecret.fill(0);
  t.deepEqual(cache.get("a", 0)?.sessionSecret, secret);
});

test("past its capacity the oldest entry goes; capacity 0 keeps nothing", (t) => {
  const cache = new RecordCache(2);
  const record = sessionRecord(0, {}, 5000);
  cache.set("a", record, KEYS);
  cache.set("b", record, KEYS);
  cache.set("a", record, KEYS);
  t.is(cache.size, 2, "setting a present id replaces it and evicts nothing");
  cache.set("c", record, KEYS);
  t.is(cache.size, 2);
  t.is(cache.get("a", 0), undefined);
  t.truthy(cache.get("b", 0));
  t.truthy(cache.get("c", 0));
  const none = new RecordCache(0);
  none.set("a", record, KEYS);
  t.is(none.get("a", 0), undefined);
});

test("the store keys a record was written under are kept with it, and go with it", (t) => {
  const cache = new RecordCache(1);
  const record = sessionRecord(0, {}, 5000);
  cache.set("a", record, KEYS);
  t.deepEqual(cache.keys("a"), KEYS);
  t.is(cache.keys("b"), undefined);
  cache.set("b", record, { session: "s:b", device: KEYS.device });
  t.is(cache.keys("a"), undefined, "evicted with its record");
  cache.delete("b");
  t.is(cache.keys("b"), undefined);
});
