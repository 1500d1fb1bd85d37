import type { PluginSpec } from "./config.js";
import { redactUrl } from "./redact-url.js";
import { storeUrlProblem } from "./store-url.js";

/** What is wrong with one setting's value, as full lines ("port: expected …"); empty when it is fine. */
type Check = (value: unknown, name: string) => string[];

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (value, name) =>
    typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
      ? []
      : [`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`];

const oneOf =
  (allowed: readonly unknown[], expected: string): Check =>
  (value, name) =>
    allowed.includes(value) ? [] : [`${name}: expected ${expected}, got ${JSON.stringify(value)}`];

const nonEmptyText =
  (expected: string): Check =>
  (value, name) =>
    typeof value === "string" && value !== "" ? [] : [`${name}: expected ${expected}`];

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

const plugins: Check = (value, name) => {
  if (!Array.isArray(value)) return [`${name}: expected a list of specifiers, got ${JSON.stringify(value)}`];
  return value.flatMap((p: PluginSpec, i) => {
    const ok =
      typeof p === "string" ? p !== "" : p && typeof p === "object" && typeof p.use === "string" && p.use !== "";
    return ok ? [] : [`${name}[${i}]: expected a specifier or { "use": specifier, "options": ... }`];
  });
};

const store: Check = (value, name) => {
  const problem = storeUrlProblem(value as string);
  return problem === undefined ? [] : [`${name}: ${problem}, got ${JSON.stringify(redactUrl(String(value)))}`];
};

/**
 * Every setting, by its path, and what its value may be. Each value is checked
 * on its own, so a value a later source overrides can be checked too.
 */
export const SETTING_CHECKS: ReadonlyMap<string, Check> = new Map<string, Check>([
  ["host", nonEmptyText("a host name or address")],
  ["port", integer(0, 65535)],
  ["maxBodyBytes", integer(1, 0xdeffffff)],
  ["compressThresholdBytes", integer(0)],
  ["unknownCommand", oneOf(["reply", "close"], '"reply" or "close"')],
  ["maxConnections", integer(0)],
  ["handshakesPerSecond", integer(0)],
  // An honest client may need three before its HANDSHAKE gets through (protocol.md §5.3).
  [
    "maxErrorsBeforeSession",
    (value, name) =>
      value === 0 || (typeof value === "number" && Number.isInteger(value) && value >= 3)
        ? []
        : [`${name}: expected 0 (no limit) or an integer from 3 up, got ${JSON.stringify(value)}`],
  ],
  ["establishTimeoutMs", integer(1)],
  ["handlerTimeoutMs", integer(0, 0x7fff_ffff)],
  ["sweepIntervalMs", integer(1, 60_000)],
  ["maxQueuedFrames", integer(1)],
  ["maxOutboundBytes", integer(1024)],
  ["shutdownGraceMs", integer(0)],
  ["keyFile", nonEmptyText("a file path")],
  ["createKeyFile", oneOf([true, false], "true or false")],
  // They travel as uint32 in the handshake.
  ["heartbeat.minMs", integer(1000, 0xffff_ffff)],
  ["heartbeat.maxMs", integer(1000, 0xffff_ffff)],
  ["heartbeat.maxMissed", integer(1, 100)],
  ["heartbeat.graceMs", integer(0)],
  ["session.store", store],
  ["session.ttlMs", integer(1000)],
  ["session.maxLifetimeMs", integer(1000)],
  ["session.storeTimeoutMs", integer(1)],
  ["session.replayWindowMs", integer(1000)],
  ["session.cacheRecords", integer(0)],
  ["session.memoryMaxEntries", integer(0)],
  [
    "session.namespace",
    (value, name) =>
      typeof value === "string" && /^[A-Za-z0-9_.-]+$/.test(value)
        ? []
        : [`${name}: expected letters, digits, '_', '.' or '-'`],
  ],
  ["plugins", plugins],
  ["logLevel", oneOf(LOG_LEVELS, `one of ${LOG_LEVELS.join(", ")}`)],
]);

/** Settings that must agree: [lower, upper], each by path. */
export const ORDERED_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ["heartbeat.minMs", "heartbeat.maxMs"],
  ["session.ttlMs", "session.maxLifetimeMs"],
];
