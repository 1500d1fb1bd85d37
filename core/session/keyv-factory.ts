import KeyvRedis from "@keyv/redis";
import { Keyv } from "keyv";
import type { SessionConfig } from "../config/config.js";
import { parseClusterUrl } from "../config/store-url.js";
import { ReleasableKeyvRedis } from "./releasable-redis.js";

/**
 * The Keyv instance sessions live in. A plugin may register its own under this
 * token (any Keyv store adapter); otherwise the server builds one from
 * `session.store`.
 */
export const KEYV: unique symbol = Symbol("mpush.Keyv");

/** How logs name the session store: its URL without secrets, or "a plugin's Keyv". */
export const KEYV_NAME: unique symbol = Symbol("mpush.KeyvName");

/**
 * "memory"                      -> Keyv's in-process Map (one node only)
 * "redis://host:port[/db]"      -> one Redis (also rediss:// for TLS)
 * "redis+cluster://[user:pass@]h1:p1,h2:p2"
 *                               -> Redis Cluster; the nodes are seeds, one is enough.
 *                                  The credentials go to every node, the ones the
 *                                  cluster reports as well ("rediss+cluster://": TLS)
 *
 * Redis errors must surface (throwOnErrors) so a dead store reads as
 * STORE_UNAVAILABLE, never as a missing session; the offline queue is off so a
 * request fails fast instead of waiting for a reconnect.
 *
 * The in-process Map keeps entries as objects instead of JSON text: sessions
 * store immutable strings and numbers, so Keyv's stringify on every set and
 * parse (with a reviver) on every get protect nothing.
 */
export function createKeyv(config: SessionConfig): Keyv {
  const { store, namespace, storeTimeoutMs } = config;
  if (store === "memory") return new Keyv({ namespace, serialize: undefined, deserialize: undefined });
  const adapterOptions = {
    throwOnErrors: true,
    throwOnConnectError: true,
    connectionTimeout: storeTimeoutMs,
    namespace,
  };
  const socket = {
    connectTimeout: storeTimeoutMs,
    reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
  };
  const cluster = parseClusterUrl(store);
  const adapter = cluster
    ? new ReleasableKeyvRedis(
        {
          rootNodes: cluster.nodes.map((node) => ({ url: `${cluster.scheme}://${node}` })),
          defaults: { ...cluster.credentials, socket: { ...socket, tls: cluster.tls }, disableOfflineQueue: true },
        },
        adapterOptions,
      )
    : new ReleasableKeyvRedis({ url: store, socket, disableOfflineQueue: true }, adapterOptions);
  return new Keyv({ store: adapter, namespace, useKeyPrefix: false, throwOnErrors: true });
}

/**
 * The Redis adapter connects on its first command, and with the offline queue
 * off every command that arrives while that connect is in flight fails: the
 * first clients after a boot (a reconnect storm) would all be refused
 * resumption. Connecting before listening avoids that. A store that is down
 * is reported by the "error" listener; the server still starts without it.
 */
export async function connectEarly(keyv: Keyv): Promise<void> {
  const store: unknown = keyv.store;
  if (!(store instanceof KeyvRedis)) return;
  try {
    await store.getClient();
  } catch {
    // Reported through keyv's "error" event; resumption waits for the store.
  }
}

/** Releases a Keyv the server made: an operation still waiting for it cannot reconnect it afterwards. */
export async function disconnect(keyv: Keyv): Promise<void> {
  const store: unknown = keyv.store;
  try {
    if (store instanceof ReleasableKeyvRedis) await store.release();
    else await keyv.disconnect();
  } catch {
    // Already gone: nothing left to release.
  }
}
