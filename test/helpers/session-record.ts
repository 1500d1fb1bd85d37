import { randomBytes } from "node:crypto";
import type { StoredSession } from "../../core/session/session-store.js";

/** A session record for store tests: a fresh secret, valid for `ttlMs` from `now`. */
export function sessionRecord(now: number, overrides: Partial<StoredSession> = {}, ttlMs = 10_000): StoredSession {
  return {
    deviceId: "d",
    osName: "o",
    osVersion: "v",
    clientVersion: "c",
    heartbeatMs: 1000,
    sessionSecret: randomBytes(32),
    createdAtMs: now,
    expiresAtMs: now + ttlMs,
    chainId: "chain",
    ...overrides,
  };
}
