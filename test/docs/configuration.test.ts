import { relative } from "node:path";
import test from "ava";
import { BUILTIN_PLUGINS } from "../../core/config/config.js";
import { ENVIRONMENT, loadConfig } from "../../core/config/load-config.js";
import { SETTING_CHECKS } from "../../core/config/validate-config.js";
import { codeSpans, DOCS, readDoc, section, tables } from "./markdown-tables.js";

const readme = readDoc("README.md");
const configuration = section(readme, "## Configuration");
const [table] = tables(configuration);
const fileOnly = /^File-only settings:[\s\S]*?\n\n/m.exec(configuration)?.[0] ?? "";

/** README's table, one entry per variable: `A` / `B` in a cell pairs with `a` / `b` beside it. */
const documented = (table?.rows ?? []).flatMap(([variables = "", setting = "", defaults = ""]) => {
  const names = codeSpans(variables);
  // The setting names lead the cell, before its ":" and description.
  const paths = codeSpans(/^[^:]*/.exec(setting.replace(/`[^`]*`/g, (span) => span.replace(/:/g, " ")))?.[0] ?? "");
  const values = defaults.split(" / ");
  return names.map((variable, i) => ({ variable, path: paths[i], value: values[i] ?? "" }));
});

/** What the server runs with when nothing is set: the defaults as loaded, the key file relative again. */
const base = "/srv/mpush";
const loaded = loadConfig({ env: {}, cwd: base }) as unknown as Record<string, unknown>;
function effective(path: string): unknown {
  const value = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], loaded);
  return path === "keyFile" ? relative(base, value as string) : value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3600_000, day: 86_400_000, days: 86_400_000 };
const BYTES: Record<string, number> = { KiB: 1024, MiB: 1024 * 1024 };

/**
 * The first value a piece of prose gives: a `code span` as written, or a number
 * ("30 000" groups digits) with an optional unit, in ms or bytes.
 */
function documentedValue(text: string): string | undefined {
  const match = /`([^`]+)`|(?<![\w.])(\d{1,3}(?: \d{3})+|\d+)(?: (ms|s|min|h|days?|KiB|MiB))?(?![\w.])/.exec(text);
  if (!match) return undefined;
  if (match[1] !== undefined) return match[1];
  const unit = match[3];
  const scale = unit === undefined ? 1 : (UNITS[unit] ?? BYTES[unit] ?? Number.NaN);
  return String(Number((match[2] as string).replace(/ /g, "")) * scale);
}

test("README's configuration table is found and pairs every variable with a setting", (t) => {
  t.deepEqual(table?.header, ["variable", "setting", "default"]);
  t.true(documented.length >= 20);
  for (const { variable, path } of documented) t.truthy(path, `${variable} has no setting beside it`);
});

test("README's configuration table lists exactly the environment variables the server reads", (t) => {
  t.deepEqual(documented.map((row) => row.variable).sort(), ENVIRONMENT.map(([name]) => name).sort());
});

test("each variable in README's table sets the setting written beside it", (t) => {
  const sets = new Map(ENVIRONMENT.map(([name, path]) => [name, path]));
  for (const { variable, path } of documented) t.is(path, sets.get(variable), variable);
});

test("every default in README's configuration table is the default the server loads", (t) => {
  for (const { variable, path, value } of documented) {
    if (path === undefined) continue;
    const builtins = /^the (\w+) built-ins$/.exec(value);
    if (builtins) {
      // Not a number to read: the list itself, and how many it holds.
      t.deepEqual(effective(path), BUILTIN_PLUGINS, variable);
      t.is(["one", "two", "three", "four", "five"].indexOf(builtins[1] as string) + 1, BUILTIN_PLUGINS.length);
      continue;
    }
    t.is(documentedValue(value), String(effective(path)), `${variable} (${path}): "${value}"`);
  }
});

test("README's file-only settings are the settings without a variable, with their defaults", (t) => {
  const listed = [...fileOnly.matchAll(/`([\w.]+)` \(([^)]*)\)/g)].map(
    (m) => [m[1] as string, m[2] as string] as const,
  );
  const withVariable = new Set(ENVIRONMENT.map(([, path]) => path));
  t.deepEqual(
    listed.map(([path]) => path).sort(),
    [...SETTING_CHECKS.keys()].filter((path) => !withVariable.has(path)).sort(),
  );
  for (const [path, text] of listed) t.is(documentedValue(text), String(effective(path)), `${path}: "${text}"`);
});

/** A setting named by its path, or by its last part where that is unique ("storeTimeoutMs"). */
function settingPath(name: string): string | undefined {
  const paths = [...SETTING_CHECKS.keys()];
  if (paths.includes(name)) return name;
  const matches = paths.filter((path) => path.endsWith(`.${name}`));
  return matches.length === 1 ? matches[0] : undefined;
}

test('"`setting` (default X)" and "`setting`, X by default" in the docs give the loaded default', (t) => {
  let seen = 0;
  for (const doc of DOCS) {
    const text = readDoc(doc).replace(/\s+/g, " ");
    const quoted = [
      ...text.matchAll(/`([\w.]+)` \(default ([^);]+)/g),
      ...text.matchAll(/`([\w.]+)`, ([^,]+) by default/g),
    ];
    for (const [, name = "", value = ""] of quoted) {
      const path = settingPath(name);
      const stated = documentedValue(value);
      // Words ("on by default") say what 0 means rather than a value; they are not read.
      if (path === undefined || stated === undefined) continue;
      seen++;
      t.is(stated, String(effective(path)), `${doc}: ${name} (default ${value})`);
    }
  }
  t.true(seen >= 5);
});

test('"its 4th ERROR" in the docs is the default maxErrorsBeforeSession', (t) => {
  // The number is written out in a dozen places (the closing ERROR before a session), none of them next to the setting.
  const counts = DOCS.flatMap((doc) => [...readDoc(doc).matchAll(/\b(\d+)(?:st|nd|rd|th) ERROR\b/g)].map((m) => m[1]));
  t.true(counts.length >= 5);
  for (const count of counts) t.is(count, String(effective("maxErrorsBeforeSession")));
});
