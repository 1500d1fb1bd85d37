import "reflect-metadata";
import { readFileSync } from "node:fs";
import test from "ava";
import * as client from "../../client/index.js";
import * as core from "../../core/index.js";
import { codeSpans, DOCS, readDoc, root } from "./markdown-tables.js";

const readme = readDoc("README.md");

/** The package's entry points: what is exported at run time, and the source that also exports the types. */
const ENTRY: Record<string, { values: object; source: string }> = {
  "mpush-ts": { values: core, source: readFileSync(new URL("core/index.ts", root), "utf8") },
  "mpush-ts/client": { values: client, source: readFileSync(new URL("client/index.ts", root), "utf8") },
};

test('every name the docs\' examples import from "mpush-ts" or "mpush-ts/client" is exported there', (t) => {
  let seen = 0;
  for (const doc of DOCS) {
    for (const [, names = "", from = ""] of readDoc(doc).matchAll(/^import \{([^}]*)\} from "(mpush-ts[^"]*)";/gm)) {
      const entry = ENTRY[from];
      t.truthy(entry, `${doc}: ${from} is not an entry point`);
      for (const item of names.split(",").map((name) => name.trim())) {
        seen++;
        const type = item.startsWith("type ");
        const name = item.replace(/^type /, "");
        // A type leaves nothing at run time: its export is read from the source.
        if (type) t.regex(entry?.source ?? "", new RegExp(`\\b${name}\\b`), `${doc}: type ${name} from ${from}`);
        else t.true(Object.hasOwn(entry?.values ?? {}, name), `${doc}: ${name} from ${from}`);
      }
    }
  }
  t.true(seen >= 8);
});

test("README's lifecycle hooks are the server's, and its service tokens are exported", (t) => {
  const hooks = /lifecycle hooks listed in[\s\S]*? and replace/.exec(readme)?.[0] ?? "";
  t.deepEqual(
    codeSpans(hooks).filter((span) => /^on[A-Z]/.test(span)),
    [...core.HOOK_NAMES],
  );
  const tokens = /under a token before the defaults are filled in:[\s\S]*?\.\n/.exec(readme)?.[0] ?? "";
  const named = codeSpans(tokens).filter((span) => /^[A-Z_]+$/.test(span));
  t.true(named.length >= 4);
  for (const token of named) t.is(typeof (core as Record<string, unknown>)[token], "symbol", token);
});
