import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";

/** Raw 32-byte keys in and out; JWK is Node's cheapest raw import path. */
export interface EphemeralKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: Buffer;
}

export const X25519_KEY_LENGTH = 32;

export function generateEphemeral(): EphemeralKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  return { privateKey, publicKey: rawPublicKey(publicKey) };
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

const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/** A key pair from a fixed 32-byte private key: for test vectors only; real keys come from generateEphemeral(). */
export function ephemeralFromPrivate(privateKey: Uint8Array): EphemeralKeyPair {
  if (privateKey.length !== X25519_KEY_LENGTH) throw new RangeError("X25519 private key must be 32 bytes");
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, privateKey]), format: "der", type: "pkcs8" });
  return { privateKey: key, publicKey: rawPublicKey(createPublicKey(key)) };
}
