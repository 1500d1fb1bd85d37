import { createCipheriv, createDecipheriv } from "node:crypto";
import KeyvRedis from "@keyv/redis";
import type { Keyv } from "keyv";
import { inject, injectable } from "tsyringe";
import { CONFIG, type ServerConfig } from "../config/config.js";
import { hmacSha256 } from "../crypto/hkdf.js";
import { IDENTITY_KEY, type IdentityKey } from "../crypto/identity-key.js";
import { pooledRandomBytes } from "../crypto/random-pool.js";
import { encodeMessage, SessionRecord } from "../protocol/index.js";
import { CLOCK, type Clock } from "../runtime/clock.js";
import { KEYV } from "./keyv-factory.js";
import { StoreUnavailableError } from "./store-errors.js";

export type StoredSession = SessionRecord;

export interface SessionAllocation {
  readonly id: string;
  readonly expiresAtMs: number;
}

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
  get(id: string): Promise<StoredSession | undefined>;
  /**
   * True when this call removed the session. On stores that report it (the
   * in-memory map, Redis) two concurrent deletes never both return true: the
   * single-use guarantee of a resume rests on it.
   */
  delete(id: string): Promise<boolean>;
  /** True the first time a nonce is claimed within `ttlMs`, false for a repeat. */
  claimNonce(nonce: Uint8Array, ttlMs: number): Promise<boolean>;
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

/** 18 random bytes: 144 bits, 24 base64url characters. */
const SESSION_ID_BYTES = 18;
const RECORD_AEAD = "aes-256-gcm";
const RECORD_NONCE = 12;
const RECORD_TAG = 16;

/**
 * Keyv-backed store. At rest:
 *   key   = "s:" + base64url(HMAC(index_key, "session" || id))   (ids never appear in the store)
 *   value = base64(nonce || AES-256-GCM(record_key, nonce, SessionRecord, aad = key))
 *   "d:" + base64url(HMAC(index_key, "device" || device id)) -> the device's live chain id
 *   "n:" + base64url(nonce)                                  -> a claimed FAST_CONNECT nonce
 * Both keys come from the server identity key, so a dump of the store yields
 * no id, no device and no secret.
 */
@injectable()
export class KeyvSessionStore implements SessionStore {
  /** Nonces being claimed right now in this process; closes the get/set race for non-Redis stores. */
  private readonly claiming = new Set<string>();
  /** The one connect of a Redis store that every operation waits for; reset when it fails. */
  private connecting: Promise<void> | undefined;
  /**
   * Keyv's own default store, a plain Map: every operation settles within the
   * call, so a deadline timer per operation (five per FAST_CONNECT) would only
   * cost. Any other store, even an in-process one, keeps its deadline.
   */
  private readonly inProcess: boolean;

  constructor(
    @inject(KEYV) private readonly keyv: Keyv,
    @inject(IDENTITY_KEY) private readonly identity: IdentityKey,
    @inject(CONFIG) private readonly config: ServerConfig,
    @inject(CLOCK) private readonly clock: Clock,
  ) {
    this.inProcess = (keyv.store as object).constructor === Map;
  }

  allocate(createdAtMs: number): SessionAllocation | undefined {
    const now = this.clock.now();
    const expiresAtMs = sessionExpiry(now, createdAtMs, this.config.session);
    if (expiresAtMs <= now) return undefined;
    return { id: pooledRandomBytes(SESSION_ID_BYTES).toString("base64url"), expiresAtMs };
  }

  async save(id: string, record: StoredSession): Promise<void> {
    const ttl = record.expiresAtMs - this.clock.now();
    if (ttl <= 0) return;
    const key = this.sessionKey(id);
    const sealed = this.seal(key, encodeMessage(SessionRecord, record));
    await this.bounded("store session", () => this.keyv.set(key, sealed, ttl));
  }

  async get(id: string): Promise<StoredSession | undefined> {
    const key = this.sessionKey(id);
    const sealed = await this.bounded("read session", () => this.keyv.get<string>(key));
    if (typeof sealed !== "string") return undefined;
    const record = this.open(key, sealed);
    if (!record || record.expiresAtMs <= this.clock.now()) return undefined;
    return record;
  }

  delete(id: string): Promise<boolean> {
    return this.bounded("delete session", () => this.keyv.delete(this.sessionKey(id)));
  }

  async setActiveChain(deviceId: string, chainId: string): Promise<void> {
    // Lives as long as any chain can: no session outlives the absolute cap.
    const ttl = this.config.session.maxLifetimeMs;
    await this.bounded("store device chain", () => this.keyv.set(this.deviceKey(deviceId), chainId, ttl));
  }

  async activeChain(deviceId: string): Promise<string | undefined> {
    const chain = await this.bounded("read device chain", () => this.keyv.get<string>(this.deviceKey(deviceId)));
    return typeof chain === "string" ? chain : undefined;
  }

  async claimNonce(nonce: Uint8Array, ttlMs: number): Promise<boolean> {
    // Nonces travel in clear and say nothing: no HMAC needed to hide them.
    const key = `n:${Buffer.from(nonce).toString("base64url")}`;
    const atomic = await this.bounded("claim nonce", () => this.claimAtomically(key, ttlMs));
    if (atomic !== undefined) return atomic;
    if (this.claiming.has(key)) return false;
    this.claiming.add(key);
    try {
      if ((await this.bounded("read nonce", () => this.keyv.get(key))) !== undefined) return false;
      await this.bounded("store nonce", () => this.keyv.set(key, 1, ttlMs));
      return true;
    } finally {
      this.claiming.delete(key);
    }
  }

  /** SET NX on Redis, so two nodes can never both claim a nonce; undefined for other stores. */
  private async claimAtomically(key: string, ttlMs: number): Promise<boolean | undefined> {
    const store: unknown = this.keyv.store;
    if (!(store instanceof KeyvRedis)) return undefined;
    const client = (await store.getClient()) as unknown as {
      set(key: string, value: string, options: { NX: true; PX: number }): Promise<string | null>;
    };
    const reply = await client.set(`${this.config.session.namespace}::${key}`, "1", { NX: true, PX: ttlMs });
    return reply === "OK";
  }

  /** The chain id stored here is random and says nothing; the device id is hidden in the key's HMAC. */
  private deviceKey(deviceId: string): string {
    return `d:${hmacSha256(this.identity.indexKey, Buffer.from("device"), Buffer.from(deviceId)).toString("base64url")}`;
  }

  private sessionKey(id: string): string {
    return `s:${hmacSha256(this.identity.indexKey, Buffer.from("session"), Buffer.from(id)).toString("base64url")}`;
  }

  private seal(key: string, record: Buffer): string {
    const nonce = pooledRandomBytes(RECORD_NONCE);
    const cipher = createCipheriv(RECORD_AEAD, this.identity.recordKey, nonce);
    cipher.setAAD(Buffer.from(key));
    const body = Buffer.concat([nonce, cipher.update(record), cipher.final(), cipher.getAuthTag()]);
    return body.toString("base64");
  }

  /** A record that does not open (other key, tampering) reads as no session. */
  private open(key: string, sealed: string): SessionRecord | undefined {
    const bytes = Buffer.from(sealed, "base64");
    if (bytes.length < RECORD_NONCE + RECORD_TAG) return undefined;
    try {
      const decipher = createDecipheriv(RECORD_AEAD, this.identity.recordKey, bytes.subarray(0, RECORD_NONCE));
      decipher.setAAD(Buffer.from(key));
      decipher.setAuthTag(bytes.subarray(bytes.length - RECORD_TAG));
      const plain = Buffer.concat([
        decipher.update(bytes.subarray(RECORD_NONCE, bytes.length - RECORD_TAG)),
        decipher.final(),
      ]);
      return SessionRecord.decode(plain);
    } catch {
      return undefined;
    }
  }

  /**
   * Redis only: the first operations of a fresh node share one connect and run
   * once it is done. @keyv/redis connects lazily per call and treats a client
   * that is still connecting as open, so without this the first burst of
   * requests went out before the client was ready (ClientOfflineError, as the
   * offline queue is off; on a cluster, before the slot map was loaded) and
   * failed as STORE_UNAVAILABLE. Once connected, a later outage is not waited
   * for: commands fail fast and the client reconnects by itself.
   */
  private connected(): Promise<void> {
    const store: unknown = this.keyv.store;
    if (!(store instanceof KeyvRedis)) return Promise.resolve();
    this.connecting ??= store.getClient().then(
      () => undefined,
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  private async bounded<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (this.inProcess) {
      try {
        return await run();
      } catch (cause) {
        throw new StoreUnavailableError(`${what} failed`, { cause });
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`${what}: no answer in ${this.config.session.storeTimeoutMs} ms`)),
        this.config.session.storeTimeoutMs,
      );
    });
    try {
      return await Promise.race([this.connected().then(run), timeout]);
    } catch (cause) {
      if (cause instanceof StoreUnavailableError) throw cause;
      throw new StoreUnavailableError(`${what} failed`, { cause });
    } finally {
      clearTimeout(timer);
    }
  }
}
