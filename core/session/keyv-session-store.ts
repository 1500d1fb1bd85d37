import type { Keyv } from "keyv";
import { inject, injectable } from "tsyringe";
import { CONFIG, type ServerConfig } from "../config/config.js";
import { redactUrl } from "../config/redact-url.js";
import { IDENTITY_KEY, type IdentityKey } from "../crypto/identity-key.js";
import { pooledRandomBytes } from "../crypto/random-pool.js";
import { LOGGER, type Logger } from "../log/logger.js";
import { STORM_LOG_INTERVAL_MS, type ThrottledLog, throttledLog } from "../log/throttled-log.js";
import { CLOCK, type Clock } from "../runtime/clock.js";
import { KEYV, KEYV_NAME } from "./keyv-factory.js";
import { KeyvMap } from "./keyv-map.js";
import { NonceLedger } from "./nonce-ledger.js";
import { RecordCache } from "./record-cache.js";
import { RedisCommands } from "./redis-commands.js";
import {
  type RotateOutcome,
  type Rotation,
  type SessionAllocation,
  type SessionStore,
  type StoredSession,
  sessionExpiry,
} from "./session-store.js";
import { StoreUnavailableError } from "./store-errors.js";
import { hashedLayout, inProcessLayout, nonceKey, type StoreLayout } from "./store-layout.js";

/** 18 random bytes: 144 bits, 24 base64url characters. */
const SESSION_ID_BYTES = 18;

/** Written while the store is failing, to see it take writes again; no session or nonce is stored under it. */
const RECOVERY_PROBE_KEY = "recovery-probe";
const RECOVERY_PROBE_TTL_MS = 1000;
/** Marks a bounded call as a read. */
const READ = true;

/**
 * Keyv-backed store. At rest (store-layout.ts):
 *   session key -> the record, its secret encrypted (sealed whole outside the process)
 *   device key  -> the device's live chain id (random, says nothing; a plain string on Redis)
 *   "n:" + base64url(nonce) -> a claimed FAST_CONNECT nonce (in-process: nonce-ledger.ts)
 * A dump of the store yields no secret; outside the process it yields no id
 * and no device either.
 */
@injectable()
export class KeyvSessionStore implements SessionStore {
  /** Nonces being claimed right now in this process; closes the get/set race on plugin stores. */
  private readonly claiming = new Set<string>();
  private readonly redis: RedisCommands | undefined;
  /** Set when rotate is one script on a single Redis, which is also what makes the record cache safe. */
  private readonly scripted: RedisCommands | undefined;
  private readonly cache: RecordCache | undefined;
  /**
   * Claimed nonces when the store is Keyv's in-process Map, which only this process sees anyway.
   * Kept by steady time: a TTL is a duration, and a wall clock set back would stop its generations turning.
   */
  private readonly nonces: NonceLedger | undefined;
  private readonly layout: StoreLayout;
  /** Set by a failed operation, cleared (and said) by the next one that succeeds. */
  private failing = false;
  /** While failing, one write every STORM_LOG_INTERVAL_MS: a node without traffic still says when the outage ends. */
  private recoveryProbe: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly recoveryLog: ThrottledLog | undefined;
  /**
   * Keyv's own default store, a plain Map: every operation settles within the
   * call, so a deadline timer per operation would only cost. Any other store,
   * even an in-process one, keeps its deadline.
   */
  private readonly inProcess: boolean;
  /** Keyv's own Map, used within the call rather than through Keyv's promises (keyv-map.ts). */
  private readonly direct: KeyvMap | undefined;

  constructor(
    @inject(KEYV) private readonly keyv: Keyv,
    @inject(IDENTITY_KEY) identity: IdentityKey,
    @inject(CONFIG) private readonly config: ServerConfig,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(LOGGER) log?: Logger,
    @inject(KEYV_NAME) private readonly storeName = redactUrl(config.session.store),
  ) {
    this.inProcess = (keyv.store as object).constructor === Map;
    this.recoveryLog = log && throttledLog(log, "info", STORM_LOG_INTERVAL_MS);
    // Records kept as objects need a Map that keeps them by reference: no serializer in between.
    const keepsObjects = this.inProcess && keyv.serialize === undefined;
    this.layout = keepsObjects ? inProcessLayout() : hashedLayout(identity.indexKey, identity.recordKey);
    this.direct = keepsObjects ? KeyvMap.of(keyv) : undefined;
    this.redis = RedisCommands.of(keyv);
    this.nonces = this.inProcess ? new NonceLedger(clock.steady()) : undefined;
    const redis = this.redis;
    // The script writes what keyv.get reads back: a serializer, and no compression it would skip.
    this.scripted = redis?.scriptedRotate && keyv.serialize !== undefined && !keyv.opts.compression ? redis : undefined;
    const { cacheRecords } = config.session;
    this.cache = this.scripted && cacheRecords > 0 ? new RecordCache(cacheRecords) : undefined;
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
    this.refuseWhenFull("store session");
    const key = this.layout.sessionKey(id);
    const stored = this.layout.toStored(key, record);
    if (this.direct) this.direct.set(key, stored, ttl);
    else await this.bounded("store session", () => this.keyv.set(key, stored, ttl));
    this.cache?.set(id, record, { session: key, device: this.layout.deviceKey(record.deviceId) });
  }

  async get(id: string): Promise<StoredSession | undefined> {
    const cached = this.cache?.get(id, this.clock.now());
    if (cached !== undefined) return cached;
    const key = this.layout.sessionKey(id);
    const stored = this.direct
      ? this.direct.get(key)
      : await this.bounded("read session", () => this.keyv.get(key), READ);
    const record = this.layout.fromStored(key, stored);
    if (!record || record.expiresAtMs <= this.clock.now()) return undefined;
    return record;
  }

  async delete(id: string): Promise<boolean> {
    this.cache?.delete(id);
    const key = this.layout.sessionKey(id);
    if (this.direct) return this.direct.delete(key);
    return this.bounded("delete session", () => this.keyv.delete(key));
  }

  async rotate(rotation: Rotation): Promise<RotateOutcome> {
    const { from, nonce, nonceTtlMs, to, record } = rotation;
    const redis = this.scripted;
    if (redis !== undefined) {
      const toKey = this.layout.sessionKey(to);
      const ttl = record.expiresAtMs - this.clock.now();
      // Exactly what keyv.set writes (serialized, uncompressed), so keyv.get reads it back.
      const value = await (this.keyv.serialize as NonNullable<Keyv["serialize"]>)({
        value: this.layout.toStored(toKey, record),
        expires: Date.now() + ttl,
      });
      // A record this node wrote comes with its keys; the device stays the same across a rotation.
      const known = this.cache?.keys(from);
      const keys = {
        nonce: nonceKey(nonce),
        from: known?.session ?? this.layout.sessionKey(from),
        to: toKey,
        device: known?.device ?? this.layout.deviceKey(record.deviceId),
      };
      // The presented id leaves the cache whatever happens: rotated, refused, or (store down) read anew by a retry.
      this.cache?.delete(from);
      const outcome = await this.bounded("rotate session", () =>
        redis.rotate(keys, record.chainId, nonceTtlMs, value, ttl),
      );
      if (outcome === "rotated") this.cache?.set(to, record, { session: toKey, device: keys.device });
      return outcome;
    }
    if (this.direct !== undefined && this.nonces !== undefined)
      return this.rotateInProcess(this.direct, this.nonces, rotation);
    // The chain read rides along with the claim: no round trip of its own.
    const [claimed, chain] = await Promise.all([this.claimNonce(nonce, nonceTtlMs), this.activeChain(record.deviceId)]);
    if (!claimed) return "replayed";
    if (chain !== undefined && chain !== record.chainId) return "superseded";
    if (!(await this.delete(from))) return "gone";
    await this.save(to, record);
    return "rotated";
  }

  /** Claim, checks and delete within one call: no other request can run between them. */
  private async rotateInProcess(direct: KeyvMap, nonces: NonceLedger, rotation: Rotation): Promise<RotateOutcome> {
    const { from, nonce, nonceTtlMs, to, record } = rotation;
    if (!nonces.claim(nonce, nonceTtlMs, this.clock.steady())) return "replayed";
    const chain = direct.get(this.layout.deviceKey(record.deviceId));
    if (typeof chain === "string" && chain !== record.chainId) return "superseded";
    if (!direct.delete(this.layout.sessionKey(from))) return "gone";
    await this.save(to, record);
    return "rotated";
  }

  async setActiveChain(deviceId: string, chainId: string): Promise<void> {
    // Lives as long as any chain can: no session outlives the absolute cap.
    const ttl = this.config.session.maxLifetimeMs;
    this.refuseWhenFull("store device chain");
    const key = this.layout.deviceKey(deviceId);
    if (this.direct) return this.direct.set(key, chainId, ttl);
    const redis = this.redis;
    await this.bounded("store device chain", async () => {
      if (redis) await redis.setChain(key, chainId, ttl);
      else await this.keyv.set(key, chainId, ttl);
    });
  }

  async activeChain(deviceId: string): Promise<string | undefined> {
    const key = this.layout.deviceKey(deviceId);
    const redis = this.redis;
    const chain = this.direct
      ? this.direct.get(key)
      : await this.bounded("read device chain", () => (redis ? redis.chain(key) : this.keyv.get<string>(key)), READ);
    return typeof chain === "string" ? chain : undefined;
  }

  async claimNonce(nonce: Uint8Array, ttlMs: number): Promise<boolean> {
    if (this.nonces !== undefined) return this.nonces.claim(nonce, ttlMs, this.clock.steady());
    const key = nonceKey(nonce);
    const redis = this.redis;
    if (redis !== undefined) return this.bounded("claim nonce", () => redis.claimNonce(key, ttlMs));
    if (this.claiming.has(key)) return false;
    this.claiming.add(key);
    try {
      if ((await this.bounded("read nonce", () => this.keyv.get(key), READ)) !== undefined) return false;
      await this.bounded("store nonce", () => this.keyv.set(key, 1, ttlMs));
      return true;
    } finally {
      this.claiming.delete(key);
    }
  }

  /**
   * Keyv's in-process Map holds at most session.memoryMaxEntries: a flood of
   * handshakes would otherwise grow this process until it fails, taking every
   * connection with it. A resume deletes its old record before it saves the
   * new one, so it is never refused here.
   */
  private refuseWhenFull(what: string): void {
    const max = this.config.session.memoryMaxEntries;
    if (!this.inProcess || max === 0 || (this.keyv.store as Map<unknown, unknown>).size < max) return;
    throw new StoreUnavailableError(`${what}: the in-process store holds its maximum of ${max} entries`);
  }

  /** `read`: only a write that succeeds ends an outage, since a store may answer reads and refuse writes. */
  private async bounded<T>(what: string, run: () => Promise<T>, read = false): Promise<T> {
    if (this.inProcess) {
      try {
        return await run();
      } catch (cause) {
        throw new StoreUnavailableError(`${what} failed`, { cause });
      }
    }
    let timer: NodeJS.Timeout | undefined;
    let answered = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        answered = true;
        reject(new StoreUnavailableError(`${what}: no answer in ${this.config.session.storeTimeoutMs} ms`));
      }, this.config.session.storeTimeoutMs);
      // The call it bounds holds the process through its socket; a closed server's call must not.
      timer.unref();
    });
    const ready = this.redis?.connected() ?? Promise.resolve();
    // A connect that ends after the deadline, or after the server closed, must not start the
    // operation: its caller was told it failed, and a closed server's store would be reopened.
    const started = ready.then(() => {
      if (answered) throw new StoreUnavailableError(`${what}: not started, its deadline had passed`);
      if (this.disposed) throw new StoreUnavailableError(`${what}: not started, the server had closed`);
      return run();
    });
    try {
      const result = await Promise.race([started, timeout]);
      if (this.failing && !read) this.recovered();
      return result;
    } catch (cause) {
      this.failing = true;
      this.probeForRecovery();
      if (cause instanceof StoreUnavailableError) throw cause;
      throw new StoreUnavailableError(`${what} failed`, { cause });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The server's container calls this when the server closes. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.recoveryProbe);
  }

  private probeForRecovery(): void {
    if (this.recoveryProbe !== undefined || this.disposed || this.recoveryLog === undefined) return;
    this.recoveryProbe = setTimeout(() => {
      this.recoveryProbe = undefined;
      // A write that succeeds ends the outage (recovered() says so); one that fails arms the next probe.
      this.bounded("probe the store", () => this.keyv.set(RECOVERY_PROBE_KEY, 1, RECOVERY_PROBE_TTL_MS)).catch(
        () => {},
      );
    }, STORM_LOG_INTERVAL_MS);
    this.recoveryProbe.unref();
  }

  /**
   * Its failures are logged where they are answered; the end of an outage is
   * said here, once per outage (throttled, for a store that flaps).
   */
  private recovered(): void {
    this.failing = false;
    this.recoveryLog?.({ store: this.storeName }, "session store answers again");
  }
}
