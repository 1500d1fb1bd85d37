import { HmacKey } from "../crypto/sha256.js";
import { RecordSealer } from "./record-sealer.js";
import { SecretWrap } from "./secret-wrap.js";
import type { StoredSession } from "./session-store.js";

/** How ids become store keys, and records stored values. */
export interface StoreLayout {
  sessionKey(id: string): string;
  deviceKey(deviceId: string): string;
  /** The value stored for `record` under `key`; it holds no secret in clear. */
  toStored(key: string, record: StoredSession): unknown;
  /** The record, or undefined for anything that is not a record stored under `key`. */
  fromStored(key: string, value: unknown): StoredSession | undefined;
}

/** Nonces travel in clear and say nothing: no HMAC needed to hide them. */
export function nonceKey(nonce: Uint8Array): string {
  return `n:${Buffer.from(nonce).toString("base64url")}`;
}

const SESSION_LABEL = Buffer.from("session");
const DEVICE_LABEL = Buffer.from("device");

/**
 * For stores outside the process (Redis, a plugin's): keys are HMACs under the
 * index key, so a dump shows no session or device id, and values are whole
 * records sealed under keys derived from the record key (record-sealer.ts), as
 * base64 text, which every Keyv serializer keeps intact. Both keys derive from
 * the identity key, so every node sharing it reads every record.
 */
export function hashedLayout(indexKey: Buffer, recordKey: Buffer): StoreLayout {
  const index = new HmacKey(indexKey);
  const hashed = (label: Buffer, id: string) => index.mac(label, Buffer.from(id)).toString("base64url");
  const sealer = new RecordSealer(recordKey);
  return {
    sessionKey: (id) => `s:${hashed(SESSION_LABEL, id)}`,
    deviceKey: (deviceId) => `d:${hashed(DEVICE_LABEL, deviceId)}`,
    toStored: (key, record) => sealer.seal(key, record).toString("base64"),
    fromStored: (key, value) =>
      typeof value === "string" ? sealer.open(key, Buffer.from(value, "base64")) : undefined,
  };
}

/** A record as this process keeps it: its session secret wrapped (secret-wrap.ts). */
export type WrappedRecord = Omit<StoredSession, "sessionSecret"> & { readonly sessionSecret: string };

// Spread with one field replaced, not rest and add: V8 then clones the record's hidden class
// instead of building one per record (a descriptor array each, about 240 bytes).
export function wrapRecord(wrap: SecretWrap, record: StoredSession): WrappedRecord {
  return { ...record, sessionSecret: wrap.wrap(record.sessionSecret) };
}

export function unwrapRecord(wrap: SecretWrap, record: WrappedRecord): StoredSession {
  return { ...record, sessionSecret: wrap.unwrap(record.sessionSecret) };
}

/** A record in the in-process map, with the wrap that can open it. */
class InProcessRecord {
  constructor(
    readonly record: WrappedRecord,
    readonly wrap: SecretWrap,
  ) {}
}

/**
 * For Keyv's in-process Map, which lives and dies with this process: keys are
 * plain ids (hiding them from memory that also holds the index key protects
 * nothing), records stay objects (no encoding per read or write), and only the
 * session secret is encrypted, under a key of this store alone
 * (secret-wrap.ts). No secret sits in the map in clear. A record another
 * store wrapped reads as missing, as a record sealed under another identity
 * does outside the process.
 */
export function inProcessLayout(wrap = new SecretWrap()): StoreLayout {
  return {
    sessionKey: (id) => `s:${id}`,
    deviceKey: (deviceId) => `d:${deviceId}`,
    toStored: (_key, record) => new InProcessRecord(wrapRecord(wrap, record), wrap),
    fromStored: (_key, value) =>
      value instanceof InProcessRecord && value.wrap === wrap ? unwrapRecord(wrap, value.record) : undefined,
  };
}
