import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { ConfigError } from "../errors/boot-errors.js";
import { type ConfigInput, DEFAULT_CONFIG, type PluginSpec, type ServerConfig } from "./config.js";
import { redactUrl } from "./redact-url.js";
import { storeUrlProblem } from "./store-url.js";

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

/** Every environment variable the server reads, and the config path it sets. */
export const ENVIRONMENT: ReadonlyArray<readonly [string, string, Parse]> = [
  ["MPUSH_HOST", "host", text],
  ["MPUSH_PORT", "port", int],
  ["MPUSH_MAX_BODY_BYTES", "maxBodyBytes", int],
  ["MPUSH_COMPRESS_THRESHOLD_BYTES", "compressThresholdBytes", int],
  ["MPUSH_UNKNOWN_COMMAND", "unknownCommand", text],
  ["MPUSH_MAX_CONNECTIONS", "maxConnections", int],
  ["MPUSH_HANDSHAKES_PER_SECOND", "handshakesPerSecond", int],
  ["MPUSH_ESTABLISH_TIMEOUT_MS", "establishTimeoutMs", int],
  ["MPUSH_HANDLER_TIMEOUT_MS", "handlerTimeoutMs", int],
  ["MPUSH_KEY_FILE", "keyFile", text],
  ["MPUSH_HEARTBEAT_MIN_MS", "heartbeat.minMs", int],
  ["MPUSH_HEARTBEAT_MAX_MS", "heartbeat.maxMs", int],
  ["MPUSH_HEARTBEAT_MAX_MISSED", "heartbeat.maxMissed", int],
  ["MPUSH_SESSION_STORE", "session.store", text],
  ["MPUSH_SESSION_TTL_MS", "session.ttlMs", int],
  ["MPUSH_SESSION_MAX_LIFETIME_MS", "session.maxLifetimeMs", int],
  ["MPUSH_SESSION_STORE_TIMEOUT_MS", "session.storeTimeoutMs", int],
  ["MPUSH_REPLAY_WINDOW_MS", "session.replayWindowMs", int],
  ["MPUSH_SESSION_CACHE_RECORDS", "session.cacheRecords", int],
  ["MPUSH_PLUGINS", "plugins", list],
  ["MPUSH_LOG_LEVEL", "logLevel", text],
];

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

/** defaults < JSON file < environment < overrides, then validated as a whole. */
export function loadConfig(options: LoadConfigOptions = {}): ServerConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  let config = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;

  const file = options.file ?? env.MPUSH_CONFIG;
  if (file) {
    const path = resolve(cwd, file);
    const fromFile = readJson(path, problems);
    if (fromFile) config = merge(config, withResolvedPaths(fromFile, dirname(path)), "", problems);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, path, parse] of ENVIRONMENT) {
    const raw = env[name];
    if (raw !== undefined && raw !== "") setPath(fromEnv, path, parse(raw));
  }
  config = merge(config, withResolvedPaths(fromEnv, cwd), "", problems);
  if (options.overrides) config = merge(config, withResolvedPaths({ ...options.overrides }, cwd), "", problems);

  // The embedded default key path is relative too: anchor it like any other.
  if (typeof config.keyFile === "string" && config.keyFile !== "") config.keyFile = resolve(cwd, config.keyFile);
  problems.push(...validate(config as unknown as ServerConfig));
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

/** Overlays `over` on `base`; keys the defaults do not have are reported, so typos fail loudly. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>, prefix: string, problems: string[]) {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const name = prefix + key;
    if (!Object.hasOwn(base, key)) {
      problems.push(`${name}: unknown setting`);
      continue;
    }
    const current = base[key];
    const nested = current && typeof current === "object" && !Array.isArray(current);
    const section = value !== null && typeof value === "object" && !Array.isArray(value);
    if (nested && section) {
      out[key] = merge(current as Record<string, unknown>, value as Record<string, unknown>, `${name}.`, problems);
    } else if (nested) {
      // A section (heartbeat, session) replaced by a scalar, null or a list: report it, keep the section valid.
      problems.push(`${name}: expected an object, got ${JSON.stringify(value)}`);
    } else {
      out[key] = value;
    }
  }
  return out;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function validate(c: ServerConfig): string[] {
  const problems: string[] = [];
  const integer = (name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
  };
  if (typeof c.host !== "string" || c.host === "") problems.push("host: expected a host name or address");
  integer("port", c.port, 0, 65535);
  integer("maxBodyBytes", c.maxBodyBytes, 1, 0xdeffffff);
  integer("compressThresholdBytes", c.compressThresholdBytes, 0);
  if (c.unknownCommand !== "reply" && c.unknownCommand !== "close") {
    problems.push(`unknownCommand: expected "reply" or "close", got ${JSON.stringify(c.unknownCommand)}`);
  }
  integer("maxConnections", c.maxConnections, 0);
  integer("handshakesPerSecond", c.handshakesPerSecond, 0);
  integer("establishTimeoutMs", c.establishTimeoutMs, 1);
  integer("handlerTimeoutMs", c.handlerTimeoutMs, 0, 0x7fff_ffff);
  integer("sweepIntervalMs", c.sweepIntervalMs, 1, 60_000);
  integer("maxQueuedFrames", c.maxQueuedFrames, 1);
  integer("maxOutboundBytes", c.maxOutboundBytes, 1024);
  integer("shutdownGraceMs", c.shutdownGraceMs, 0);
  if (typeof c.keyFile !== "string" || c.keyFile === "") problems.push("keyFile: expected a file path");
  // They travel as uint32 in the handshake.
  integer("heartbeat.minMs", c.heartbeat.minMs, 1000, 0xffff_ffff);
  integer("heartbeat.maxMs", c.heartbeat.maxMs, 1000, 0xffff_ffff);
  if (c.heartbeat.minMs > c.heartbeat.maxMs) problems.push("heartbeat.minMs: must not exceed heartbeat.maxMs");
  integer("heartbeat.maxMissed", c.heartbeat.maxMissed, 1, 100);
  integer("heartbeat.graceMs", c.heartbeat.graceMs, 0);
  const storeProblem = storeUrlProblem(c.session.store);
  if (storeProblem !== undefined) {
    problems.push(`session.store: ${storeProblem}, got ${JSON.stringify(redactUrl(String(c.session.store)))}`);
  }
  integer("session.ttlMs", c.session.ttlMs, 1000);
  integer("session.maxLifetimeMs", c.session.maxLifetimeMs, 1000);
  if (c.session.ttlMs > c.session.maxLifetimeMs) problems.push("session.ttlMs: must not exceed session.maxLifetimeMs");
  integer("session.storeTimeoutMs", c.session.storeTimeoutMs, 1);
  integer("session.replayWindowMs", c.session.replayWindowMs, 1000);
  integer("session.cacheRecords", c.session.cacheRecords, 0);
  if (typeof c.session.namespace !== "string" || !/^[A-Za-z0-9_.-]+$/.test(c.session.namespace)) {
    problems.push("session.namespace: expected letters, digits, '_', '.' or '-'");
  }
  if (!Array.isArray(c.plugins))
    problems.push(`plugins: expected a list of specifiers, got ${JSON.stringify(c.plugins)}`);
  else
    c.plugins.forEach((p: PluginSpec, i) => {
      const ok =
        typeof p === "string" ? p !== "" : p && typeof p === "object" && typeof p.use === "string" && p.use !== "";
      if (!ok) problems.push(`plugins[${i}]: expected a specifier or { "use": specifier, "options": ... }`);
    });
  if (!LOG_LEVELS.includes(c.logLevel)) {
    problems.push(`logLevel: expected one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(c.logLevel)}`);
  }
  return problems;
}
