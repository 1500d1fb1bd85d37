import { existsSync, readdirSync } from "node:fs";
import test from "ava";
import { codeSpans, DOCS, readDoc, root, section } from "./markdown-tables.js";

/** Not the project's: dependencies, git, and what a running server or a session leaves behind. */
const NOT_TREE = new Set([".git", "node_modules", ".mpush", ".scratch"]);

/** The repository's top-level directories; build/ included, since the tests run from it. */
const TOP = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !NOT_TREE.has(entry.name))
  .map((entry) => entry.name);

/** Every file name in the tree outside build/, for names the docs give without their directory. */
function fileNames(dir: URL, names = new Set<string>()): Set<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (NOT_TREE.has(entry.name) || entry.name === "build") continue;
    if (entry.isDirectory()) fileNames(new URL(`${entry.name}/`, dir), names);
    else names.add(entry.name);
  }
  return names;
}
const NAMES = fileNames(root);

/** Whether `path` (relative to `base`, "*" as a whole segment matching any entry) names something. */
function exists(path: string, base: URL = root): boolean {
  const [first, ...rest] = path.split("/").filter(Boolean);
  if (first === undefined) return true;
  const candidates =
    first === "*"
      ? readdirSync(base, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
      : [first];
  return candidates.some((name) => {
    const next = new URL(rest.length > 0 ? `${name}/` : name, base);
    return existsSync(next) && exists(rest.join("/"), next);
  });
}

/** Paths starting at a top-level directory, anywhere in the text: prose, code spans, code blocks. */
function rootedPaths(markdown: string): string[] {
  const pattern = new RegExp(
    `(?<![\\w./@:+-])(?:${TOP.map((d) => d.replace(".", "\\.")).join("|")})/[\\w.*-]*(?:/[\\w.*-]+)*/?`,
    "g",
  );
  return [...markdown.matchAll(pattern)].map((match) => match[0].replace(/[.*,:;]+$/, ""));
}

test("every repository path the docs write exists", (t) => {
  let seen = 0;
  for (const doc of DOCS) {
    // An example's README also names its own files, from its folder.
    const folder = new URL(doc.replace(/[^/]*$/, ""), root);
    for (const path of new Set(rootedPaths(readDoc(doc)))) {
      seen++;
      t.true(exists(path) || exists(path, folder), `${doc}: ${path}`);
    }
  }
  t.true(seen >= 40);
});

test("every file the docs name in `code` without its directory exists somewhere in the tree", (t) => {
  let seen = 0;
  for (const doc of DOCS) {
    for (const span of codeSpans(readDoc(doc))) {
      if (!/^[\w-][\w.-]*\.(?:ts|js|json|proto|py|java|sh|md)$/.test(span)) continue;
      seen++;
      t.true(NAMES.has(span), `${doc}: ${span}`);
    }
  }
  t.true(seen >= 4);
});

test("every relative link in the docs points at a file", (t) => {
  let seen = 0;
  for (const doc of DOCS) {
    const base = new URL(doc.replace(/[^/]*$/, ""), root);
    for (const [, target = ""] of readDoc(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target) || target.startsWith("#")) continue;
      seen++;
      t.true(exists(target.replace(/#.*$/, ""), base), `${doc}: (${target})`);
    }
  }
  t.true(seen >= 10);
});

test("README's Layout block names directories that exist", (t) => {
  const [block = ""] = /```\n([\s\S]*?)```/.exec(section(readDoc("README.md"), "## Layout"))?.slice(1) ?? [];
  let parent = "";
  let seen = 0;
  for (const line of block.split("\n").filter(Boolean)) {
    // Each line starts with its directories ("  config/ log/ runtime/ errors/ server/"); indented ones are the last top-level one's.
    const nested = line.startsWith(" ");
    const words = line.trim().split(/\s+/);
    const end = words.findIndex((word) => !word.endsWith("/"));
    const names = words.slice(0, end < 0 ? words.length : end);
    for (const name of names) {
      const path = nested ? `${parent}${name}` : name;
      seen++;
      t.true(exists(path), `README Layout: ${path}`);
    }
    if (!nested) parent = names[0] ?? "";
  }
  t.true(seen >= 15);
});
