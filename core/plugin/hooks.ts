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
  /** The server is shutting down; release what the plugin holds. Runs after connections are closed. */
  onClose(): void | Promise<void>;
}

export type HookName = keyof HookSignatures;

export const HOOK_NAMES: readonly HookName[] = [
  "onConnection",
  "onSessionEstablished",
  "onConnectionClose",
  "onListen",
  "onClose",
];

export class Hooks {
  private readonly listeners = new Map<HookName, HookSignatures[HookName][]>(HOOK_NAMES.map((n) => [n, []]));

  add<K extends HookName>(name: K, listener: HookSignatures[K]): void {
    const list = this.listeners.get(name);
    if (!list) throw new TypeError(`unknown hook "${String(name)}"; hooks are: ${HOOK_NAMES.join(", ")}`);
    list.push(listener);
  }

  /** Listeners of one hook, in registration order. */
  get<K extends HookName>(name: K): readonly HookSignatures[K][] {
    return this.listeners.get(name) as HookSignatures[K][];
  }
}
