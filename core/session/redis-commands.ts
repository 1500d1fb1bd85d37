import { createHash } from "node:crypto";
import KeyvRedis from "@keyv/redis";
import type { Keyv } from "keyv";
import type { RotateOutcome } from "./session-store.js";

/**
 * KEYS: nonce, old session, new session, device chain. ARGV: nonce ttl, new
 * value, new ttl, the session's chain id. The same order and stops as the
 * store's generic rotate, in one round trip and with nothing else in between.
 * The device chain is a plain string (setChain), so the script compares it as
 * it is, whatever serializer Keyv uses.
 */
export const ROTATE_SCRIPT = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
local chain = redis.call('GET', KEYS[4])
if chain and chain ~= ARGV[4] then return 3 end
if redis.call('DEL', KEYS[2]) == 0 then return 2 end
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
return 0`;
const ROTATE_SHA = createHash("sha1").update(ROTATE_SCRIPT).digest("hex");
const ROTATE_OUTCOMES: readonly RotateOutcome[] = ["rotated", "replayed", "gone", "superseded"];

interface ScriptClient {
  set(key: string, value: string, options: { NX: true; PX: number } | { PX: number }): Promise<string | null>;
  get(key: string): Promise<string | null>;
  sendCommand(args: readonly string[]): Promise<unknown>;
}

/** What the session store does on Redis beyond Keyv's get, set and delete. */
export class RedisCommands {
  /** The one connect that every operation waits for; reset when it fails. */
  private connecting: Promise<void> | undefined;

  private constructor(private readonly store: KeyvRedis<unknown>) {}

  /** Undefined when the Keyv is not backed by @keyv/redis. */
  static of(keyv: Keyv): RedisCommands | undefined {
    const store: unknown = keyv.store;
    return store instanceof KeyvRedis ? new RedisCommands(store) : undefined;
  }

  /**
   * The first operations of a fresh node share one connect and run once it
   * is done. @keyv/redis connects lazily per call and treats a client that is
   * still connecting as open, so without this the first burst of requests
   * went out before the client was ready (ClientOfflineError, as the offline
   * queue is off; on a cluster, before the slot map was loaded) and failed as
   * STORE_UNAVAILABLE. Once connected, a later outage is not waited for:
   * commands fail fast and the client reconnects by itself.
   */
  connected(): Promise<void> {
    this.connecting ??= this.store.getClient().then(
      () => undefined,
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  /** SET NX, so two nodes can never both claim a nonce. */
  async claimNonce(key: string, ttlMs: number): Promise<boolean> {
    const client = await this.client();
    return (await client.set(this.prefixed(key), "1", { NX: true, PX: ttlMs })) === "OK";
  }

  /** The device's live chain id, as a plain string: the rotate script compares it without Keyv's envelope. */
  async setChain(key: string, chainId: string, ttlMs: number): Promise<void> {
    const client = await this.client();
    await client.set(this.prefixed(key), chainId, { PX: Math.max(1, Math.ceil(ttlMs)) });
  }

  async chain(key: string): Promise<string | undefined> {
    const client = await this.client();
    return (await client.get(this.prefixed(key))) ?? undefined;
  }

  /** False on a cluster, where rotate's keys hash to different slots and the steps run one by one. */
  get scriptedRotate(): boolean {
    return !this.store.isCluster();
  }

  /** claim, chain check, delete, save in one script: one round trip, atomic on the server. Single Redis only. */
  async rotate(
    keys: { readonly nonce: string; readonly from: string; readonly to: string; readonly device: string },
    chainId: string,
    nonceTtlMs: number,
    value: string,
    ttlMs: number,
  ): Promise<RotateOutcome> {
    const client = await this.client();
    const keyNames = [keys.nonce, keys.from, keys.to, keys.device].map((key) => this.prefixed(key));
    const argv = [String(nonceTtlMs), value, String(Math.max(1, Math.ceil(ttlMs))), chainId];
    // Sent as a raw command: node-redis's EVALSHA wrapper (argument parsing, reply transform)
    // cost node about 5 µs of CPU per resume.
    const args = [String(keyNames.length), ...keyNames, ...argv];
    const reply = await client.sendCommand(["EVALSHA", ROTATE_SHA, ...args]).catch((error: unknown) => {
      // A restarted or flushed Redis has forgotten the script: send it whole once.
      if (error instanceof Error && error.message.startsWith("NOSCRIPT"))
        return client.sendCommand(["EVAL", ROTATE_SCRIPT, ...args]);
      throw error;
    });
    const outcome = ROTATE_OUTCOMES[Number(reply)];
    if (outcome === undefined) throw new Error(`rotate script answered ${String(reply)}`);
    return outcome;
  }

  /** The open client as it is, without getClient's promise on every command; getClient only to (re)open it. */
  private client(): ScriptClient | Promise<ScriptClient> {
    const client = this.store.client;
    if (client.isOpen) return client as unknown as ScriptClient;
    return this.store.getClient() as Promise<unknown> as Promise<ScriptClient>;
  }

  /** The key as @keyv/redis writes it, so Keyv reads what the script wrote. */
  private prefixed(key: string): string {
    return this.store.createKeyPrefix(key, this.store.namespace);
  }
}
