import { readdirSync, readFileSync } from "node:fs";
import test from "ava";
import { codeSpans, DOCS, readDoc, root, section } from "./markdown-tables.js";

/** Every boot error code thrown under core/: they are string literals, with no list of their own to import. */
const thrown = new Set(
  readdirSync(new URL("core/", root), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .flatMap((file) => [...readFileSync(new URL(`core/${file}`, root), "utf8").matchAll(/"(MPUSH_ERR_[A-Z_]+)"/g)])
    .map((match) => match[1] as string),
);

test("README's boot errors are exactly the codes the server throws", (t) => {
  const documented = codeSpans(section(readDoc("README.md"), "## Boot errors")).filter((span) =>
    span.startsWith("MPUSH_ERR_"),
  );
  t.true(thrown.size >= 10);
  t.deepEqual([...new Set(documented)].sort(), [...thrown].sort());
});

test("every MPUSH_ERR_ code named anywhere in the docs is one the server throws", (t) => {
  for (const doc of DOCS) {
    for (const [code] of readDoc(doc).matchAll(/\bMPUSH_ERR_[A-Z_]*[A-Z]\b/g))
      t.true(thrown.has(code), `${doc}: ${code}`);
  }
});
