import { hmacSha256 } from "../crypto/hkdf.js";

/** How ids become store keys, and sealed records stored values. */
export interface StoreLayout {
  sessionKey(id: string): string;
  deviceKey(deviceId: string): string;
  toStored(sealed: Buffer): string | Buffer;
  /** The sealed bytes, or undefined for anything that is not a stored record. */
  fromStored(value: unknown): Buffer | undefined;
}

/** Nonces travel in clear and say nothing: no HMAC needed to hide them. */
export function nonceKey(nonce: Uint8Array): string {
  return `n:${Buffer.from(nonce).toString("base64url")}`;
}

const SESSION_LABEL = Buffer.from("session");
const DEVICE_LABEL = Buffer.from("device");

/**
 * For stores outside the process (Redis, a plugin's): keys are HMACs under the
 * index key, so a dump shows no session or device id, and values are base64
 * text, which every Keyv serializer keeps intact.
 */
export function hashedLayout(indexKey: Buffer): StoreLayout {
  const hashed = (label: Buffer, id: string) => hmacSha256(indexKey, label, Buffer.from(id)).toString("base64url");
  return {
    sessionKey: (id) => `s:${hashed(SESSION_LABEL, id)}`,
    deviceKey: (deviceId) => `d:${hashed(DEVICE_LABEL, deviceId)}`,
    toStored: (sealed) => sealed.toString("base64"),
    fromStored: (value) => (typeof value === "string" ? Buffer.from(value, "base64") : undefined),
  };
}

/**
 * For Keyv's in-process Map, which shares the process's memory with the index
 * key: hiding ids from it protects nothing, so keys are plain and the sealed
 * Buffer is kept as it is. Records are still sealed: no secret sits in any
 * store in clear.
 */
export const inProcessLayout: StoreLayout = {
  sessionKey: (id) => `s:${id}`,
  deviceKey: (deviceId) => `d:${deviceId}`,
  toStored: (sealed) => sealed,
  fromStored: (value) => (Buffer.isBuffer(value) ? value : undefined),
};
