import type { PinnedServerKey } from "../core/crypto/pinned-server-key.js";
import type { BackoffPolicy } from "./connection/backoff.js";
import type { DeviceInfo, HeartbeatWish } from "./flows/handshake-flow.js";
import type { SessionStorage } from "./session/client-session.js";

export interface MPushClientOptions {
  readonly host: string;
  readonly port: number;
  /**
   * The server's Ed25519 public key: PEM (the server's `<key file>.pub`) or raw
   * 32 bytes. During a key rotation, pin the old and the new: a list, or PEM
   * text holding both. A handshake signed by any of them is accepted.
   */
  readonly serverKey: ServerKeyInput | readonly ServerKeyInput[];
  readonly device: DeviceInfo;
  /** Heartbeat interval the client accepts, ms (0 = no bound). Default 0..240 s, the Java SDK's 4 minutes. */
  readonly heartbeat?: { readonly minMs: number; readonly maxMs: number };
  /** Default: in memory (resumes within this process only). */
  readonly storage?: SessionStorage;
  readonly backoff?: BackoffPolicy;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How long one load, save or clear of `storage` may take before it counts as failed. Default 5 s. */
  readonly storageTimeoutMs?: number;
}

type ServerKeyInput = PinnedServerKey | string | Uint8Array;

/** Longer than this, setTimeout fires at once (with only a warning). */
export const TIMER_MAX_MS = 0x7fff_ffff;

export function checkOptions(options: MPushClientOptions, wish: HeartbeatWish): void {
  const { minHeartbeatMs: min, maxHeartbeatMs: max } = wish;
  for (const [name, value] of [
    ["heartbeat.minMs", min],
    ["heartbeat.maxMs", max],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new RangeError(`${name} must be a whole number of ms from 0 to 2^32-1, got ${value}`);
    }
  }
  if (max !== 0 && min > max) throw new RangeError(`heartbeat.minMs (${min}) must not exceed heartbeat.maxMs (${max})`);
  const timers: [string, number | undefined][] = [
    ["connectTimeoutMs", options.connectTimeoutMs],
    ["requestTimeoutMs", options.requestTimeoutMs],
    ["storageTimeoutMs", options.storageTimeoutMs],
    ["backoff.baseMs", options.backoff?.baseMs],
    ["backoff.maxMs", options.backoff?.maxMs],
  ];
  // 0 would fail every call, or retry in a tight loop.
  for (const [name, value] of timers) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 1 && value <= TIMER_MAX_MS)) {
      throw new RangeError(`${name} must be from 1 to ${TIMER_MAX_MS} ms, got ${value}`);
    }
  }
  const backoff = options.backoff;
  if (backoff === undefined) return;
  // A factor below 1 shrinks the delays towards 0: a tight loop against a server that is down.
  if (!(Number.isFinite(backoff.factor) && backoff.factor >= 1)) {
    throw new RangeError(`backoff.factor must be at least 1, got ${backoff.factor}`);
  }
  if (!(backoff.jitter >= 0 && backoff.jitter <= 1)) {
    throw new RangeError(`backoff.jitter must be from 0 to 1, got ${backoff.jitter}`);
  }
}
