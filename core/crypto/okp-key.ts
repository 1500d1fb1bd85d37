import { createPrivateKey, type KeyObject } from "node:crypto";

/**
 * An X25519 or Ed25519 private key from its 32 raw bytes. New keys are made
 * this way from random bytes, never by generateKeyPairSync: on Node 20 a
 * garbage collection during a call that holds a generated key's lock (its
 * export, for one) can destroy the finished generation job, whose destructor
 * takes that same lock, and the process hangs for good. A tight loop of
 * generate-and-export hung within 22 000 keys; a HANDSHAKE does exactly that.
 * An imported key has no generation job.
 *
 * JWK is Node's cheapest raw import (DER goes through OpenSSL's decoders,
 * about ten times slower). Node builds an OKP private key from `d` alone; `x`
 * must only be a string.
 */
export function okpPrivateKey(crv: "X25519" | "Ed25519", raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new RangeError(`${crv} private key must be 32 bytes`);
  const d = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64url");
  return createPrivateKey({ key: { kty: "OKP", crv, d, x: "" }, format: "jwk" });
}
