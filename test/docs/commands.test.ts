import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import test from "ava";
import { codeSpans, DOCS, readDoc, root } from "./markdown-tables.js";

const scripts = Object.keys(
  (JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { scripts: Record<string, string> }).scripts,
);

/** The docs with shell line continuations joined, so a command reads as one line. */
const docs = DOCS.map((doc) => [doc, readDoc(doc).replace(/\\\n\s*/g, " ")] as const);

test("every npm script the docs tell people to run is in package.json", (t) => {
  let seen = 0;
  for (const [doc, text] of docs) {
    for (const [, run, lifecycle] of text.matchAll(/\bnpm (?:run(?: -s| --silent)? ([\w:-]+)|(start|test)\b)/g)) {
      seen++;
      t.true(scripts.includes((run ?? lifecycle) as string), `${doc}: npm ${run ? "run " : ""}${run ?? lifecycle}`);
    }
  }
  t.true(seen >= 20);
});

/** The CLI's own usage, by subcommand: the lines of "mpush help" that start with "mpush <sub>". */
const usage = execFileSync(process.execPath, [fileURLToPath(new URL("build/client/cli/main.js", root)), "help"], {
  encoding: "utf8",
});
function usageOf(subcommand: string): string {
  const lines = usage.split("\n");
  const start = lines.findIndex((line) => new RegExp(`\\bmpush ${subcommand}\\b`).test(line));
  if (start < 0) return "";
  // Continuation lines are indented past "usage: mpush".
  const rest = lines.slice(start + 1).findIndex((line) => !/^ {10,}\[/.test(line));
  return lines.slice(start, start + 1 + (rest < 0 ? lines.length : rest)).join("\n");
}

test("every `npm run -s mpush -- <command> --flag` in the docs is a command and flag of the CLI's usage", (t) => {
  let seen = 0;
  for (const [doc, text] of docs) {
    for (const [, subcommand = "", rest = ""] of text.matchAll(/\bmpush -- (\w+)([^`#\n]*)/g)) {
      const lines = usageOf(subcommand);
      t.not(lines, "", `${doc}: mpush ${subcommand}`);
      for (const [flag] of rest.matchAll(/--[\w-]+/g)) {
        seen++;
        t.regex(lines, new RegExp(`${flag}(?![\\w-])`), `${doc}: mpush ${subcommand} ${flag}`);
      }
    }
  }
  t.true(seen >= 10);
});

test("every `--flag` on its own in README and security.md is one of the CLI's", (t) => {
  // benchmarks.md's are node's own flags (--cpu-prof, --trace-gc-nvp).
  for (const doc of ["README.md", "docs/security.md"]) {
    for (const span of codeSpans(readDoc(doc)).filter((s) => /^--[\w-]+$/.test(s))) {
      t.regex(usage, new RegExp(`${span}(?![\\w-])`), `${doc}: ${span}`);
    }
  }
});
