import test from "ava";
import {
  CLIENT_OPTIONS,
  CLIENT_REQUIRED,
  DECODE_OPTIONS,
  KEYGEN_OPTIONS,
  KEYGEN_REQUIRED,
  USAGE,
} from "../../client/cli/usage.js";

type Options = Record<string, { default?: unknown }>;

/** The synopsis of one command: from "mpush <name>" to the next command or the blank line. */
function synopsis(name: string): string {
  const head = USAGE.slice(0, USAGE.indexOf("\n\n"));
  const parts = head.split(/(?=mpush (?:client|decode|keygen|help)\b)/);
  const part = parts.find((p) => p.startsWith(`mpush ${name}`));
  if (part === undefined) throw new Error(`no synopsis for ${name}`);
  return part;
}

function flags(text: string): { all: string[]; optional: string[] } {
  const all = [...text.matchAll(/--([a-z-]+[a-z])/g)].map((m) => m[1] as string);
  const optional = [...text.matchAll(/\[--([a-z-]+[a-z])[^\]]*\]/g)].map((m) => m[1] as string);
  return { all: [...new Set(all)].sort(), optional: [...new Set(optional)].sort() };
}

for (const [name, options, required] of [
  ["client", CLIENT_OPTIONS, CLIENT_REQUIRED],
  ["decode", DECODE_OPTIONS, []],
  ["keygen", KEYGEN_OPTIONS, KEYGEN_REQUIRED],
] as const) {
  test(`the usage of ${name} names exactly the options its parser takes, required ones without brackets`, (t) => {
    const named = flags(synopsis(name));
    const accepted = Object.keys(options).sort();
    t.deepEqual(named.all, accepted);
    t.deepEqual(
      named.optional,
      accepted.filter((flag) => !(required as readonly string[]).includes(flag)),
    );
  });
}

test("the client defaults the usage states are the parser's defaults", (t) => {
  const paragraph = USAGE.slice(USAGE.indexOf("Defaults:") + "Defaults:".length, USAGE.indexOf("\ndecode:"));
  const items = paragraph.replace(/\s+/g, " ").trim().replace(/\.$/, "").split(", ");
  const stated = new Map(
    items.map((item) => {
      const m = /^--([a-z-]+) (.+?)(?: \([^)]*\))?$/.exec(item);
      if (m === null) throw new Error(`not a default: ${item}`);
      return [m[1], m[2]];
    }),
  );
  const withDefaults = Object.entries(CLIENT_OPTIONS as Options).filter(([, spec]) => spec.default !== undefined);
  t.deepEqual([...stated.keys()].sort(), withDefaults.map(([flag]) => flag).sort());
  for (const [flag, spec] of withDefaults) {
    const expected = flag === "os-version" ? "this Node's version" : String(spec.default);
    t.is(stated.get(flag), expected, `--${flag}`);
  }
  t.is(CLIENT_OPTIONS["os-version"].default, process.version);
});

test("decode's default direction is the one the usage calls the default", (t) => {
  t.is(DECODE_OPTIONS.direction.default, "up");
  t.regex(USAGE, /"up" = client to server \(default\)/);
});
