import type { Keyv } from "keyv";

interface Entry {
  readonly value: unknown;
  readonly expires?: number;
}

/**
 * Keyv's own in-process Map, read and written as Keyv 5 does (its namespace
 * prefix, `{ value, expires }` entries kept as objects, an expired entry
 * deleted when read), but within the call. Through Keyv, each operation on
 * this Map costs several promises, hook triggers and stats updates, on the one
 * store that always answers at once. keyv.get reads what this writes, and the
 * reverse; the minute's sweep (expiry-sweeper.ts) sees the same entries.
 */
export class KeyvMap {
  private constructor(
    private readonly map: Map<string, Entry>,
    private readonly prefix: string,
  ) {}

  /**
   * Undefined unless the Keyv keeps its entries as objects (no serializer, no
   * compression) in its own Map, with no hooks registered: a Keyv that a
   * plugin set up to run hooks, or on a Map subclass of its own, keeps going
   * through Keyv.
   */
  static of(keyv: Keyv): KeyvMap | undefined {
    const store: unknown = keyv.store;
    if (!(store instanceof Map) || store.constructor !== Map) return undefined;
    if (keyv.serialize !== undefined || keyv.opts.compression) return undefined;
    if (keyv.hooks.handlers.size > 0) return undefined;
    const prefix = keyv.useKeyPrefix && keyv.namespace ? `${keyv.namespace}:` : "";
    return new KeyvMap(store as Map<string, Entry>, prefix);
  }

  get(key: string): unknown {
    const prefixed = this.prefixed(key);
    const entry = this.map.get(prefixed);
    if (entry === undefined) return undefined;
    if (typeof entry.expires === "number" && Date.now() > entry.expires) {
      this.map.delete(prefixed);
      return undefined;
    }
    return entry.value;
  }

  /** `ttlMs` is positive: every entry of the session store expires. */
  set(key: string, value: unknown, ttlMs: number): void {
    this.map.set(this.prefixed(key), { value, expires: Date.now() + ttlMs });
  }

  delete(key: string): boolean {
    return this.map.delete(this.prefixed(key));
  }

  /** As Keyv's _getKeyPrefix: a key that already carries the namespace is not prefixed twice. */
  private prefixed(key: string): string {
    return this.prefix === "" || key.startsWith(this.prefix) ? key : this.prefix + key;
  }
}
