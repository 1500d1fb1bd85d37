import test from "ava";
import type { Connection } from "../../../core/connection/connection.js";
import { ConnectionRegistry } from "../../../core/connection/connection-registry.js";

const fake = (id: string) => ({ id }) as Connection;

test("connections are added, found by id, listed and removed", (t) => {
  const registry = new ConnectionRegistry();
  const a = fake("a");
  const b = fake("b");
  registry.add(a);
  registry.add(b);
  t.is(registry.size, 2);
  t.is(registry.get("a"), a);
  t.deepEqual([...registry.values()], [a, b]);
  registry.remove(a);
  t.is(registry.get("a"), undefined);
  t.is(registry.size, 1);
});

test("removing a stale connection does not evict a newer one with the same id", (t) => {
  const registry = new ConnectionRegistry();
  const old = fake("x");
  const current = fake("x");
  registry.add(old);
  registry.add(current);
  registry.remove(old);
  t.is(registry.get("x"), current);
});
