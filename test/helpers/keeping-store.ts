import {
  definePlugin,
  type Plugin,
  type RotateOutcome,
  type Rotation,
  SESSION_STORE,
  type SessionAllocation,
  type SessionStore,
  type StoredSession,
} from "../../core/index.js";
import { KeyvSessionStore } from "../../core/session/keyv-session-store.js";

/**
 * The real Keyv store, except that delete() does nothing: a rotated-away
 * session stays resumable. Lets a test show that the nonce claim alone
 * refuses a replay.
 */
export class KeepingSessionStore implements SessionStore {
  deletes = 0;

  constructor(private readonly inner: SessionStore) {}

  allocate(createdAtMs: number): SessionAllocation | undefined {
    return this.inner.allocate(createdAtMs);
  }
  save(id: string, record: StoredSession): Promise<void> {
    return this.inner.save(id, record);
  }
  get(id: string): Promise<StoredSession | undefined> {
    return this.inner.get(id);
  }
  /** Reports success without removing anything. */
  async delete(): Promise<boolean> {
    this.deletes++;
    return true;
  }
  claimNonce(nonce: Uint8Array, ttlMs: number): Promise<boolean> {
    return this.inner.claimNonce(nonce, ttlMs);
  }
  /** Claims the nonce and saves the new record, but keeps the old one. */
  async rotate(rotation: Rotation): Promise<RotateOutcome> {
    if (!(await this.inner.claimNonce(rotation.nonce, rotation.nonceTtlMs))) return "replayed";
    const chain = await this.inner.activeChain(rotation.record.deviceId);
    if (chain !== undefined && chain !== rotation.record.chainId) return "superseded";
    await this.delete();
    await this.inner.save(rotation.to, rotation.record);
    return "rotated";
  }
  setActiveChain(deviceId: string, chainId: string): Promise<void> {
    return this.inner.setActiveChain(deviceId, chainId);
  }
  activeChain(deviceId: string): Promise<string | undefined> {
    return this.inner.activeChain(deviceId);
  }
}

/** A plugin putting `wrap(the server's own store)` under SESSION_STORE: one instance per server. */
export function wrappingStorePlugin(name: string, wrap: (inner: KeyvSessionStore) => SessionStore): Plugin {
  return definePlugin({
    name,
    register(container) {
      let store: SessionStore | undefined;
      container.register(SESSION_STORE, {
        useFactory: (c) => {
          store ??= wrap(c.resolve(KeyvSessionStore));
          return store;
        },
      });
    },
  });
}

export const keepingStorePlugin: Plugin = wrappingStorePlugin(
  "test-keeping-store",
  (inner) => new KeepingSessionStore(inner),
);
