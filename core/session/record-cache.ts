import { SecretWrap } from "./secret-wrap.js";
import type { StoredSession } from "./session-store.js";
import { unwrapRecord, type WrappedRecord, wrapRecord } from "./store-layout.js";

/**
 * The records this node wrote to a shared store, so that a resume landing on
 * the node that issued the session (a reconnect behind a sticky balancer, the
 * common case) skips the read. Records never change under an id, since a
 * resume writes a new one, so an entry is never stale in content; it can only
 * be gone from the store (resumed on another node, deleted, flushed). The
 * store's rotation finds that out atomically, so a cached record never
 * resumes a session the store no longer holds.
 *
 * Bounded: past `capacity` the oldest entry goes. Expired entries are dropped
 * when read. Secrets are wrapped under a key of this cache alone, as in the
 * in-process store.
 */
/** The store keys a record was written under: HMACs outside the process, kept so a resume need not compute them again. */
export interface StoreKeys {
  readonly session: string;
  readonly device: string;
}

interface Entry {
  readonly record: WrappedRecord;
  readonly keys: StoreKeys;
}

export class RecordCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity: number,
    private readonly wrap = new SecretWrap(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string, nowMs: number): StoredSession | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    const { record } = entry;
    if (record.expiresAtMs <= nowMs) {
      this.entries.delete(id);
      return undefined;
    }
    return unwrapRecord(this.wrap, record);
  }

  /** The keys `id` was written under, if this node wrote it and still holds it. */
  keys(id: string): StoreKeys | undefined {
    return this.entries.get(id)?.keys;
  }

  set(id: string, record: StoredSession, keys: StoreKeys): void {
    if (this.capacity <= 0) return;
    if (this.entries.size >= this.capacity && !this.entries.has(id)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(id, { record: wrapRecord(this.wrap, record), keys });
  }

  delete(id: string): void {
    this.entries.delete(id);
  }
}
