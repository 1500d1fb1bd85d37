import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { chmod, mkdir, open, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { KeyFileError } from "../errors/boot-errors.js";
import { hkdfExpandLabel, hkdfExtract } from "./hkdf.js";
import { sha256 } from "./sha256.js";

export const IDENTITY_KEY: unique symbol = Symbol("mpush.IdentityKey");

/**
 * The server's long-term Ed25519 key. It authenticates handshakes (clients pin
 * the public half) and, through HKDF, keys the sealing of session records, so
 * every node of a cluster needs this one file and nothing else secret.
 */
export class IdentityKey {
  readonly publicKeyRaw: Buffer;
  /** "SHA256:" + base64 of SHA-256(raw public key), as ssh prints fingerprints. */
  readonly fingerprint: string;
  /** Seals session records at rest (record-sealer.ts derives its two keys from it). */
  readonly recordKey: Buffer;
  /** Keys the HMAC that turns session and device ids into store keys outside the process. */
  readonly indexKey: Buffer;

  private constructor(private readonly privateKey: KeyObject) {
    const jwk = privateKey.export({ format: "jwk" });
    this.publicKeyRaw = Buffer.from(jwk.x as string, "base64url");
    this.fingerprint = fingerprintOf(this.publicKeyRaw);
    const storage = hkdfExtract(Buffer.from("mpush/v1 storage", "ascii"), Buffer.from(jwk.d as string, "base64url"));
    const none = Buffer.alloc(0);
    this.recordKey = hkdfExpandLabel(storage, "record key", none, 32);
    this.indexKey = hkdfExpandLabel(storage, "index key", none, 32);
  }

  static generate(): IdentityKey {
    return new IdentityKey(generateKeyPairSync("ed25519").privateKey);
  }

  /** From a fixed 32-byte Ed25519 seed: for test vectors and tests; real keys come from the key file. */
  static fromSeed(seed: Uint8Array): IdentityKey {
    if (seed.length !== 32) throw new RangeError("Ed25519 seed must be 32 bytes");
    const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
    return new IdentityKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  }

  static fromPem(pem: string): IdentityKey {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== "ed25519")
      throw new Error(`identity key must be Ed25519, not ${key.asymmetricKeyType}`);
    return new IdentityKey(key);
  }

  /**
   * Loads the key file, or creates it (mode 0600) with `<file>.pub` beside it.
   * `exposed`: the file is readable or writable by group or others, which the
   * server warns about (on Windows modes say nothing, so never).
   */
  static async loadOrCreate(file: string): Promise<{ key: IdentityKey; created: boolean; exposed: boolean }> {
    let pem: string;
    try {
      pem = await readFile(file, "utf8");
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw new KeyFileError(file, "cannot be read", cause);
      const key = IdentityKey.generate();
      try {
        await key.writeTo(file);
      } catch (failure) {
        throw new KeyFileError(file, "is missing and cannot be created", failure);
      }
      return { key, created: true, exposed: false };
    }
    let key: IdentityKey;
    try {
      key = IdentityKey.fromPem(pem);
    } catch (cause) {
      throw new KeyFileError(file, "does not hold a PEM Ed25519 private key", cause);
    }
    const exposed = process.platform !== "win32" && ((await stat(file)).mode & 0o077) !== 0;
    return { key, created: false, exposed };
  }

  sign(data: Uint8Array): Buffer {
    return sign(null, data, this.privateKey);
  }

  publicKeyPem(): string {
    return createPublicKey(this.privateKey).export({ format: "pem", type: "spki" }) as string;
  }

  private async writeTo(file: string): Promise<void> {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // "wx": never overwrite a key another process created meanwhile.
    const handle = await open(file, "wx", 0o600);
    try {
      await handle.writeFile(this.privateKey.export({ format: "pem", type: "pkcs8" }) as string);
    } finally {
      await handle.close();
    }
    await chmod(file, 0o600);
    await writeFile(`${file}.pub`, this.publicKeyPem(), { mode: 0o644 });
  }
}

export function fingerprintOf(publicKeyRaw: Uint8Array): string {
  return `SHA256:${sha256(publicKeyRaw).toString("base64").replace(/=+$/, "")}`;
}

/** A pinned server public key, as the client holds it. */
export class PinnedServerKey {
  readonly fingerprint: string;

  private constructor(private readonly key: KeyObject) {
    this.fingerprint = fingerprintOf(Buffer.from(key.export({ format: "jwk" }).x as string, "base64url"));
  }

  /** Accepts a PEM SPKI public key (the `.pub` file) or the raw 32 bytes. */
  static from(input: string | Uint8Array): PinnedServerKey {
    const key =
      typeof input === "string"
        ? createPublicKey(input)
        : createPublicKey({
            key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(input).toString("base64url") },
            format: "jwk",
          });
    if (key.asymmetricKeyType !== "ed25519")
      throw new Error(`server key must be Ed25519, not ${key.asymmetricKeyType}`);
    return new PinnedServerKey(key);
  }

  verify(data: Uint8Array, signature: Uint8Array): boolean {
    return signature.length === 64 && verify(null, data, this.key, signature);
  }
}
