import { ConfigError } from "mpush-ts";

export interface TimeSyncOptions {
  /** Sent in every reply as node_label: which node answered. */
  readonly label: string;
  /** Client times further than this from the server's clock are refused, ms. */
  readonly maxSkewMs: number;
}

export const TIME_SYNC_OPTIONS: unique symbol = Symbol("acme.timesync.Options");

/** One year: wide enough for any real clock, narrow enough to catch 0 and seconds sent as ms. */
const DEFAULT_MAX_SKEW_MS = 366 * 24 * 3600_000;

/**
 * Checks the `options` given with the plugin in the configuration. Invalid
 * options fail the boot with a ConfigError, like the core's own settings,
 * rather than the first request.
 */
export function parseTimeSyncOptions(raw: unknown): TimeSyncOptions {
  const where = 'plugins["time-sync"].options';
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([`${where}: expected an object such as { "label": "node-1" }, got ${JSON.stringify(raw)}`]);
  }
  const { label, maxSkewMs = DEFAULT_MAX_SKEW_MS, ...unknown } = raw as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof label !== "string" || label.length === 0 || label.length > 64) {
    problems.push(`${where}.label: expected a string of 1-64 characters, got ${JSON.stringify(label)}`);
  }
  if (typeof maxSkewMs !== "number" || !Number.isSafeInteger(maxSkewMs) || maxSkewMs < 1000) {
    problems.push(`${where}.maxSkewMs: expected an integer of at least 1000, got ${JSON.stringify(maxSkewMs)}`);
  }
  for (const key of Object.keys(unknown)) problems.push(`${where}.${key}: unknown option`);
  if (problems.length > 0) throw new ConfigError(problems);
  return { label: label as string, maxSkewMs: maxSkewMs as number };
}
