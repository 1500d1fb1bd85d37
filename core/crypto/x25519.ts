import { createPublicKey, diffieHellman, type KeyObject, randomFillSync } from "node:crypto";
import { okpPrivateKey } from "./okp-key.js";

/** Raw 32-byte keys in and out; JWK is Node's cheapest raw import path. */
export interface EphemeralKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: Buffer;
}

export const X25519_KEY_LENGTH = 32;

export function generateEphemeral(): EphemeralKeyPair {
  const raw = randomFillSync(Buffer.allocUnsafe(X25519_KEY_LENGTH));
  try {
    return ephemeralFromPrivate(raw);
  } finally {
    raw.fill(0);
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: "jwk" }).x as string, "base64url");
}

/** Throws when the peer key is malformed or of low order (OpenSSL rejects an all-zero result). */
export function x25519(privateKey: KeyObject, peerPublic: Uint8Array): Buffer {
  if (peerPublic.length !== X25519_KEY_LENGTH) throw new RangeError("X25519 public key must be 32 bytes");
  const publicKey = createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: Buffer.from(peerPublic).toString("base64url") },
    format: "jwk",
  });
  return diffieHellman({ privateKey, publicKey });
}

/** A key pair from a 32-byte private key: generateEphemeral()'s random one, or a test vector's fixed one. */
export function ephemeralFromPrivate(privateKey: Uint8Array): EphemeralKeyPair {
  const key = okpPrivateKey("X25519", privateKey);
  return { privateKey: key, publicKey: rawPublicKey(createPublicKey(key)) };
}
