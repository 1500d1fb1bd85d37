import { readdirSync, readFileSync } from "node:fs";
import test from "ava";
import { unknownVariables } from "../../core/config/load-config.js";
import { DOCS, readDoc, root } from "./markdown-tables.js";

/** Variables the docs name; MPUSH_ERR_* are boot error codes (boot-errors.test.ts). */
const named = new Set(
  DOCS.flatMap((doc) => [...readDoc(doc).matchAll(/\b(?:MPUSH|BENCH)_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0])),
);
for (const name of named) if (name.startsWith("MPUSH_ERR_")) named.delete(name);

/** What the benchmarks read from process.env, by name, from their source. */
const benchSource = readdirSync(new URL("bench/", root))
  .filter((file) => file.endsWith(".ts"))
  .map((file) => readFileSync(new URL(`bench/${file}`, root), "utf8"))
  .join("\n");
const benchReads = new Set([...benchSource.matchAll(/process\.env\.([A-Z0-9_]+)/g)].map((m) => m[1] as string));

test("every variable the docs name is read by the server or by the benchmarks", (t) => {
  t.true(named.size >= 20);
  // The server's own list, as its boot warning about unknown MPUSH_* variables uses it.
  const env = Object.fromEntries([...named].map((name) => [name, "x"]));
  const notServer = new Set(unknownVariables(env).map(({ name }) => name));
  for (const name of named) {
    if (name.startsWith("MPUSH_") && !notServer.has(name)) continue;
    t.true(benchReads.has(name), `${name} is read by neither the server nor bench/`);
  }
});

test("docs/benchmarks.md names every variable the benchmarks read", (t) => {
  const benchmarks = readDoc("docs/benchmarks.md");
  const own = [...benchReads].filter((name) => name.includes("BENCH"));
  t.true(own.length >= 4);
  for (const name of own) t.true(benchmarks.includes(name), `${name} is not in docs/benchmarks.md`);
});
