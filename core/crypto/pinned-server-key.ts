import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { pemBlocks, pemText } from "./pem.js";
import { sha256 } from "./sha256.js";

/** "SHA256:" + base64 of SHA-256(raw public key), unpadded, as ssh-keygen prints fingerprints. */
export function fingerprintOf(publicKeyRaw: Uint8Array): string {
  return `SHA256:${sha256(publicKeyRaw).toString("base64").replace(/=+$/, "")}`;
}

/** A pinned server public key, as the client holds it. */
export class PinnedServerKey {
  readonly fingerprint: string;

  private constructor(private readonly key: KeyObject) {
    this.fingerprint = fingerprintOf(Buffer.from(key.export({ format: "jwk" }).x as string, "base64url"));
  }

  /**
   * Every key in the input: a PEM text may hold several public keys (the old
   * and the new `.pub` during a key rotation, concatenated).
   */
  static all(input: PinnedServerKey | string | Uint8Array): PinnedServerKey[] {
    if (input instanceof PinnedServerKey) return [input];
    const text = pemText(input);
    if (text === undefined) return [PinnedServerKey.from(input)];
    const blocks = pemBlocks(text).map(({ block }) => block);
    return blocks.length > 1 ? blocks.map((block) => PinnedServerKey.from(block)) : [PinnedServerKey.from(text)];
  }

  /** Accepts one PEM SPKI public key (the `.pub` file, as text or as its bytes) or the raw 32 bytes. */
  static from(input: string | Uint8Array): PinnedServerKey {
    const text = pemText(input);
    let key: KeyObject;
    // createPublicKey would take it and derive the public half, but a client must never hold it.
    if (text !== undefined && pemBlocks(text).some(({ label }) => label.endsWith("PRIVATE KEY"))) {
      throw new Error("server key is a private key: pin its public half, the .pub file");
    }
    if (text !== undefined) {
      try {
        key = createPublicKey(text);
      } catch (cause) {
        throw new Error("server key is not a PEM public key", { cause });
      }
    } else {
      if (input.length !== 32) throw new RangeError(`a raw server key is 32 bytes, not ${input.length}`);
      key = createPublicKey({
        key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(input).toString("base64url") },
        format: "jwk",
      });
    }
    if (key.asymmetricKeyType !== "ed25519")
      throw new Error(`server key must be Ed25519, not ${key.asymmetricKeyType}`);
    return new PinnedServerKey(key);
  }

  verify(data: Uint8Array, signature: Uint8Array): boolean {
    return signature.length === 64 && verify(null, data, this.key, signature);
  }
}
