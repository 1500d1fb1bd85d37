import type { Connection } from "../connection/connection.js";
import type { SessionContext } from "../session/session-context.js";

/**
 * Every seam the server offers besides command handlers, in one list. Plugins
 * add listeners with `hooks.add(name, fn)`; an unknown name fails at boot.
 * Connection hooks run synchronously on the hot path: keep them cheap.
 */
export interface HookSignatures {
  /** A connection was accepted and registered. */
  onConnection(connection: Connection): void;
  /** HANDSHAKE or FAST_CONNECT succeeded and its reply was written. */
  onSessionEstablished(connection: Connection, session: SessionContext): void;
  /** A connection closed (for whatever reason) and was unregistered. */
  onConnectionClose(connection: Connection, reason: string): void;
  /** The server listens on `address`. */
  onListen(address: { host: string; port: number }): void | Promise<void>;
  /** The server is shutting down, or its boot failed; release what the plugin holds. Runs after connections are closed. */
  onClose(): void | Promise<void>;
}

export type HookName = keyof HookSignatures;

/** The hooks that run synchronously, per connection, inside the server's I/O callbacks. */
export type ConnectionHookName = "onConnection" | "onSessionEstablished" | "onConnectionClose";

/** Told when a listener throws; the default rethrows. */
export type HookFailure = (name: HookName, error: unknown) => void;

const rethrow: HookFailure = (_name, error) => {
  throw error;
};

export const HOOK_NAMES: readonly HookName[] = [
  "onConnection",
  "onSessionEstablished",
  "onConnectionClose",
  "onListen",
  "onClose",
];

export class Hooks {
  private readonly listeners = new Map<HookName, HookSignatures[HookName][]>(HOOK_NAMES.map((n) => [n, []]));

  constructor(private readonly failed: HookFailure = rethrow) {}

  add<K extends HookName>(name: K, listener: HookSignatures[K]): void {
    const list = this.listeners.get(name);
    if (!list) throw new TypeError(`unknown hook "${String(name)}"; hooks are: ${HOOK_NAMES.join(", ")}`);
    list.push(listener);
  }

  /** Listeners of one hook, in registration order. */
  get<K extends HookName>(name: K): readonly HookSignatures[K][] {
    return this.listeners.get(name) as HookSignatures[K][];
  }

  /**
   * Runs a connection hook's listeners in order. One that throws is reported
   * to the failure handler and the rest still run: these run inside socket
   * callbacks, where a throw would end the process and every connection.
   */
  fire<K extends ConnectionHookName>(name: K, ...args: Parameters<HookSignatures[K]>): void {
    for (const listener of this.get(name)) {
      try {
        (listener as (...a: Parameters<HookSignatures[K]>) => void)(...args);
      } catch (error) {
        this.failed(name, error);
      }
    }
  }

  /** Runs onClose's listeners, last registered first; one that fails is reported and the rest still run. */
  async close(): Promise<void> {
    for (const listener of [...this.get("onClose")].reverse()) {
      try {
        await listener();
      } catch (error) {
        this.failed("onClose", error);
      }
    }
  }
}
