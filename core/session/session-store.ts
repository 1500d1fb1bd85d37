import type { SessionRecord } from "../protocol/index.js";

export type StoredSession = SessionRecord;

export interface SessionAllocation {
  readonly id: string;
  readonly expiresAtMs: number;
}

/** A resume's write: the old id gives way to the new one, once, for a fresh nonce, while its chain is the device's newest. */
export interface Rotation {
  readonly from: string;
  readonly nonce: Uint8Array;
  readonly nonceTtlMs: number;
  readonly to: string;
  readonly record: StoredSession;
}

/**
 * "rotated": the nonce was claimed, the old id deleted and the new record saved.
 * "replayed": the nonce was already claimed; nothing changed.
 * "superseded": a newer HANDSHAKE of the device started another chain; the nonce stays claimed.
 * "gone": the old id is not in the store (a racing resume won, or it expired or
 * was deleted); the nonce stays claimed.
 */
export type RotateOutcome = "rotated" | "replayed" | "superseded" | "gone";

/**
 * Resumable sessions, shared by every node that points at the same store.
 * Every operation is bounded by `session.storeTimeoutMs` (except on Keyv's
 * in-process Map, which cannot hang) and fails with StoreUnavailableError,
 * never with a silent miss.
 */
export interface SessionStore {
  /**
   * A fresh id (at least 128 random bits) and the expiry a session of this
   * chain gets if saved now: min(now + ttl, createdAt + max lifetime).
   * Undefined when the chain's lifetime is over. Touches no storage.
   */
  allocate(createdAtMs: number): SessionAllocation | undefined;
  save(id: string, record: StoredSession): Promise<void>;
  /**
   * On a single Redis a node answers from the records it wrote itself
   * (record-cache.ts), so a record deleted on another node may still read
   * back here; `rotate` is what decides whether it still exists.
   */
  get(id: string): Promise<StoredSession | undefined>;
  /**
   * True when this call removed the session. On stores that report it (the
   * in-memory map, Redis) two concurrent deletes never both return true: the
   * single-use guarantee of a resume rests on it.
   */
  delete(id: string): Promise<boolean>;
  /** True the first time a nonce is claimed within `ttlMs`, false for a repeat. */
  claimNonce(nonce: Uint8Array, ttlMs: number): Promise<boolean>;
  /**
   * claimNonce, then the chain check against the device's newest chain
   * (activeChain of record.deviceId; none known passes), then delete(from),
   * then save(to), stopping at the first that fails. On a single Redis it is
   * one script: one round trip, all or nothing.
   */
  rotate(rotation: Rotation): Promise<RotateOutcome>;
  /** Records the device's newest session chain (a full HANDSHAKE); older chains stop resuming. */
  setActiveChain(deviceId: string, chainId: string): Promise<void>;
  /** The device's newest chain, or undefined when none is known (never stored, expired, flushed). */
  activeChain(deviceId: string): Promise<string | undefined>;
}

export const SESSION_STORE: unique symbol = Symbol("mpush.SessionStore");

/**
 * When a session of a chain saved at `nowMs` stops being resumable: the
 * sliding TTL, capped by the chain's absolute lifetime from its first
 * HANDSHAKE. Not after `nowMs` means the chain is over.
 */
export function sessionExpiry(
  nowMs: number,
  createdAtMs: number,
  limits: { readonly ttlMs: number; readonly maxLifetimeMs: number },
): number {
  return Math.min(nowMs + limits.ttlMs, createdAtMs + limits.maxLifetimeMs);
}
