import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError } from "../errors/boot-errors.js";
import { type ConfigInput, DEFAULT_CONFIG, type ServerConfig } from "./config.js";
import { redactUrl } from "./redact-url.js";
import { ORDERED_PAIRS, SETTING_CHECKS } from "./validate-config.js";

type Parse = (raw: string) => unknown;
const int: Parse = (raw) => (/^-?\d+$/.test(raw.trim()) ? Number(raw) : raw);
// Spaces around a value are a shell's or a unit file's, never the setting's: "k.key " would be a second key file.
const text: Parse = (raw) => raw.trim();
/** A list that names nothing stays text, for validation to refuse: a server with no plugins serves nothing. */
const list: Parse = (raw) => {
  const items = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length > 0 ? items : raw;
};
/** Anything else stays text, for validation to refuse with the value quoted. */
const bool: Parse = (raw) => {
  const value = raw.trim().toLowerCase();
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  return raw;
};

/** Every environment variable the server reads, and the config path it sets. */
export const ENVIRONMENT: ReadonlyArray<readonly [string, string, Parse]> = [
  ["MPUSH_HOST", "host", text],
  ["MPUSH_PORT", "port", int],
  ["MPUSH_MAX_BODY_BYTES", "maxBodyBytes", int],
  ["MPUSH_COMPRESS_THRESHOLD_BYTES", "compressThresholdBytes", int],
  ["MPUSH_UNKNOWN_COMMAND", "unknownCommand", text],
  ["MPUSH_MAX_CONNECTIONS", "maxConnections", int],
  ["MPUSH_HANDSHAKES_PER_SECOND", "handshakesPerSecond", int],
  ["MPUSH_MAX_ERRORS_BEFORE_SESSION", "maxErrorsBeforeSession", int],
  ["MPUSH_ESTABLISH_TIMEOUT_MS", "establishTimeoutMs", int],
  ["MPUSH_HANDLER_TIMEOUT_MS", "handlerTimeoutMs", int],
  ["MPUSH_KEY_FILE", "keyFile", text],
  ["MPUSH_CREATE_KEY_FILE", "createKeyFile", bool],
  ["MPUSH_HEARTBEAT_MIN_MS", "heartbeat.minMs", int],
  ["MPUSH_HEARTBEAT_MAX_MS", "heartbeat.maxMs", int],
  ["MPUSH_HEARTBEAT_MAX_MISSED", "heartbeat.maxMissed", int],
  ["MPUSH_SESSION_STORE", "session.store", text],
  ["MPUSH_SESSION_TTL_MS", "session.ttlMs", int],
  ["MPUSH_SESSION_MAX_LIFETIME_MS", "session.maxLifetimeMs", int],
  ["MPUSH_SESSION_STORE_TIMEOUT_MS", "session.storeTimeoutMs", int],
  ["MPUSH_REPLAY_WINDOW_MS", "session.replayWindowMs", int],
  ["MPUSH_SESSION_CACHE_RECORDS", "session.cacheRecords", int],
  ["MPUSH_SESSION_MEMORY_MAX_ENTRIES", "session.memoryMaxEntries", int],
  ["MPUSH_PLUGINS", "plugins", list],
  ["MPUSH_LOG_LEVEL", "logLevel", text],
];

/**
 * MPUSH_* variables the server does not read, each with the nearest name it
 * does: a misspelled MPUSH_SESSION_STORE would otherwise leave a cluster node
 * on its own memory store without a word. Not an error, since plugins and
 * tools may read MPUSH_* variables of their own.
 */
export function unknownVariables(env: NodeJS.ProcessEnv): { name: string; nearest: string | undefined }[] {
  const known = ["MPUSH_CONFIG", ...ENVIRONMENT.map(([name]) => name)];
  return Object.keys(env)
    .filter((name) => name.startsWith("MPUSH_") && !known.includes(name))
    .map((name) => {
      const [best] = known
        .map((candidate) => ({ candidate, distance: editDistance(name, candidate) }))
        .sort((a, b) => a.distance - b.distance);
      return { name, nearest: best && best.distance <= 3 ? best.candidate : undefined };
    });
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** A JSON file; defaults to $MPUSH_CONFIG. */
  readonly file?: string;
  /** Applied last (tests, embedding). */
  readonly overrides?: ConfigInput;
  /** Base for relative paths that do not come from a file; defaults to cwd. */
  readonly cwd?: string;
}

/** A setting's path, and where its value came from: a file's path, an environment variable or "overrides". */
type Origins = Map<string, string>;

/** A value one source gave and a later one replaced: still checked, so a broken file does not wait to bite. */
interface Shadowed {
  readonly path: string;
  readonly value: unknown;
  readonly from: string;
  readonly by: string;
}

interface Layering {
  readonly problems: string[];
  readonly origins: Origins;
  readonly shadowed: Shadowed[];
}

/**
 * defaults < JSON file < environment < overrides, then validated as a whole.
 * Each problem names the source of the value, and a bad value a later source
 * overrides is a problem too.
 */
export function loadConfig(options: LoadConfigOptions = {}): ServerConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const layering: Layering = { problems: [], origins: new Map(), shadowed: [] };
  let config = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  const layer = (over: Record<string, unknown>, source: (path: string) => string) => {
    config = merge(config, over, "", source, layering);
  };

  const file = options.file ?? env.MPUSH_CONFIG;
  if (file) {
    const path = resolve(cwd, file);
    const fromFile = readJson(path, layering.problems);
    if (fromFile) layer(withResolvedPaths(fromFile, dirname(path)), () => path);
  }
  const fromEnv: Record<string, unknown> = {};
  const variableOf = new Map<string, string>();
  for (const [name, path, parse] of ENVIRONMENT) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    setPath(fromEnv, path, parse(raw));
    variableOf.set(path, name);
  }
  layer(withResolvedPaths(fromEnv, cwd), (path) => variableOf.get(path) ?? "the environment");
  if (options.overrides) layer(withResolvedPaths({ ...options.overrides }, cwd), () => "overrides");

  // The embedded default key path is relative too: anchor it like any other.
  if (typeof config.keyFile === "string" && config.keyFile !== "") config.keyFile = resolve(cwd, config.keyFile);
  const problems = [...layering.problems, ...validate(config, layering)];
  if (problems.length > 0) throw new ConfigError(problems);
  return config as unknown as ServerConfig;
}

function readJson(path: string, problems: string[]): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    problems.push(`${path}: must hold a JSON object`);
  } catch (cause) {
    problems.push(`${path}: ${(cause as Error).message}`);
  }
  return undefined;
}

function withResolvedPaths(input: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = { ...input };
  // "" stays "": resolved, it would name the directory, and validation could not tell.
  if (typeof out.keyFile === "string" && out.keyFile !== "") out.keyFile = resolve(base, out.keyFile);
  if (Array.isArray(out.plugins)) out.plugins = out.plugins.map((p) => resolvePlugin(p, base));
  return out;
}

function resolvePlugin(spec: unknown, base: string): unknown {
  const fix = (s: string) => (s.startsWith("./") || s.startsWith("../") || isAbsolute(s) ? resolve(base, s) : s);
  if (typeof spec === "string") return fix(spec);
  if (spec && typeof spec === "object" && typeof (spec as { use?: unknown }).use === "string") {
    return { ...(spec as object), use: fix((spec as { use: string }).use) };
  }
  return spec;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys[keys.length - 1] as string] = value;
}

/**
 * Overlays `over` on `base`, noting where each value came from; keys the
 * defaults do not have are reported, so typos fail loudly. What is a section
 * comes from the defaults' shape, never from an earlier source's value.
 */
function merge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  prefix: string,
  source: (path: string) => string,
  layering: Layering,
  shape: Record<string, unknown> = DEFAULT_CONFIG as unknown as Record<string, unknown>,
) {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const name = prefix + key;
    if (!Object.hasOwn(shape, key)) {
      layering.problems.push(`${name}: unknown setting (from ${source(name)})`);
      continue;
    }
    const sectionShape = shape[key];
    const nested = sectionShape !== null && typeof sectionShape === "object" && !Array.isArray(sectionShape);
    const section = value !== null && typeof value === "object" && !Array.isArray(value);
    if (nested && section) {
      out[key] = merge(
        base[key] as Record<string, unknown>,
        value as Record<string, unknown>,
        `${name}.`,
        source,
        layering,
        sectionShape as Record<string, unknown>,
      );
    } else if (nested) {
      // A section (heartbeat, session) replaced by a scalar, null or a list: report it, keep the section valid.
      layering.problems.push(`${name}: expected an object, got ${quote(value)} (from ${source(name)})`);
    } else {
      const from = layering.origins.get(name);
      if (from !== undefined) layering.shadowed.push({ path: name, value: base[key], from, by: source(name) });
      layering.origins.set(name, source(name));
      out[key] = value;
    }
  }
  return out;
}

/** A value quoted in a problem; text that may be a URL is redacted like a store URL: a section given one by mistake would carry its password. */
function quote(value: unknown): string {
  return JSON.stringify(typeof value === "string" && /[:@]/.test(value) ? redactUrl(value) : value);
}

function validate(config: Record<string, unknown>, { origins, shadowed }: Layering): string[] {
  const from = (path: string) => (origins.has(path) ? ` (from ${origins.get(path)})` : "");
  const problems: string[] = [];
  for (const [path, check] of SETTING_CHECKS) {
    for (const line of check(valueAt(config, path), path)) problems.push(line + from(path));
  }
  for (const [lower, upper] of ORDERED_PAIRS) {
    const low = valueAt(config, lower);
    const high = valueAt(config, upper);
    if (typeof low !== "number" || typeof high !== "number" || low <= high) continue;
    problems.push(`${lower}: must not exceed ${upper}, got ${low} > ${high}${pairSource(origins, lower, upper)}`);
  }
  for (const { path, value, from: was, by } of shadowed) {
    const check = SETTING_CHECKS.get(path);
    for (const line of check?.(value, path) ?? []) problems.push(`${line} (from ${was}, overridden by ${by})`);
  }
  return problems;
}

/** Where each side came from; a side no source set is the default, said so. */
function pairSource(origins: Origins, lower: string, upper: string): string {
  const low = origins.get(lower) ?? "the default";
  const high = origins.get(upper) ?? "the default";
  return low === high ? ` (from ${low})` : ` (${lower} from ${low}, ${upper} from ${high})`;
}

function valueAt(config: Record<string, unknown>, path: string): unknown {
  let at: unknown = config;
  for (const key of path.split(".")) at = (at as Record<string, unknown> | undefined)?.[key];
  return at;
}
