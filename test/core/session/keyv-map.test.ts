import test from "ava";
import { Keyv } from "keyv";
import { KeyvMap } from "../../../core/session/keyv-map.js";

const objectsKeyv = (namespace = "mpush") => new Keyv({ namespace, serialize: undefined, deserialize: undefined });

test("what KeyvMap writes, keyv.get reads, and the reverse, under Keyv's namespace prefix", async (t) => {
  const keyv = objectsKeyv();
  const map = KeyvMap.of(keyv);
  if (map === undefined) return t.fail("an objects-keeping Keyv on its own Map gets a KeyvMap");
  const record = { device: "phone-1" };
  map.set("s:one", record, 60_000);
  t.is(await keyv.get("s:one"), record, "the same object, by reference");
  t.true((keyv.store as Map<string, unknown>).has("mpush:s:one"));
  await keyv.set("d:two", "chain", 60_000);
  t.is(map.get("d:two"), "chain");
  t.true(map.delete("s:one"));
  t.false(map.delete("s:one"));
  t.is(await keyv.get("s:one"), undefined);
});

test("an entry past its expiry reads as missing and leaves the Map, as with keyv.get", (t) => {
  const keyv = objectsKeyv();
  const map = KeyvMap.of(keyv) as KeyvMap;
  const entries = keyv.store as Map<string, { value: unknown; expires: number }>;
  map.set("s:old", 1, 60_000);
  const entry = entries.get("mpush:s:old");
  t.true((entry?.expires ?? 0) > Date.now(), "expires carries the ttl");
  entries.set("mpush:s:old", { value: 1, expires: Date.now() - 1 });
  t.is(map.get("s:old"), undefined);
  t.false(entries.has("mpush:s:old"));
});

test("a key that already carries the namespace is not prefixed twice, as Keyv's own prefixing does", async (t) => {
  const keyv = objectsKeyv("s");
  const map = KeyvMap.of(keyv) as KeyvMap;
  map.set("s:abc", "x", 60_000);
  t.true((keyv.store as Map<string, unknown>).has("s:abc"));
  t.is(await keyv.get("s:abc"), "x");
});

class PluginMap extends Map<string, unknown> {}

test("no KeyvMap for a store that is not Keyv's Map, a serializer, compression or registered hooks", (t) => {
  t.is(KeyvMap.of(new Keyv({ store: { get() {}, set() {}, delete() {}, clear() {} } })), undefined);
  t.is(KeyvMap.of(new Keyv({ store: new PluginMap(), serialize: undefined, deserialize: undefined })), undefined);
  t.is(KeyvMap.of(new Keyv()), undefined, "Keyv's default serializer writes text");
  const hooked = objectsKeyv();
  hooked.hooks.addHandler("preSet", () => {});
  t.is(KeyvMap.of(hooked), undefined);
  const compressed = new Keyv({
    serialize: undefined,
    deserialize: undefined,
    compression: { compress: async (v: unknown) => v, decompress: async (v: unknown) => v } as never,
  });
  t.is(KeyvMap.of(compressed), undefined);
  t.truthy(KeyvMap.of(objectsKeyv()));
});
