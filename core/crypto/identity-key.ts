import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign } from "node:crypto";
import { chmod, link, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { KeyFileError } from "../errors/boot-errors.js";
import { makeDirectories } from "../runtime/make-directories.js";
import { hkdfExpandLabel, hkdfExtract } from "./hkdf.js";
import { okpPrivateKey } from "./okp-key.js";
import { pemBlocks } from "./pem.js";
import { fingerprintOf } from "./pinned-server-key.js";

export const IDENTITY_KEY: unique symbol = Symbol("mpush.IdentityKey");

/** The key file's optional second PEM block: a storage secret handed on from a previous key. */
const STORAGE_BLOCK = "MPUSH STORAGE SECRET";
const STORAGE_SECRET_BYTES = 32;

/**
 * The server's long-term Ed25519 key. It authenticates handshakes (clients pin
 * the public half) and, through HKDF, keys the sealing of session records, so
 * every node of a cluster needs this one file and nothing else secret.
 *
 * The storage keys come from a storage secret: HKDF-Extract of the private
 * key, or, after a planned rotation, the previous key's storage secret carried
 * in the file as a second PEM block, so that stored sessions survive the new
 * signing key.
 */
export class IdentityKey {
  readonly publicKeyRaw: Buffer;
  /** "SHA256:" + base64 of SHA-256(raw public key), as ssh prints fingerprints. */
  readonly fingerprint: string;
  /** Seals session records at rest (record-sealer.ts derives its two keys from it). */
  readonly recordKey: Buffer;
  /** Keys the HMAC that turns session and device ids into store keys outside the process. */
  readonly indexKey: Buffer;

  /** True when the storage secret was carried over from a previous key rather than derived from this one. */
  readonly carriesStorage: boolean;
  /**
   * Names the storage secret without revealing it (a 72-bit HKDF label), so
   * the logs show whether two nodes, or an old and a new key, open the same sessions.
   */
  readonly storageId: string;
  private readonly storageSecret: Buffer;

  private constructor(
    private readonly privateKey: KeyObject,
    carried?: Buffer,
  ) {
    const jwk = privateKey.export({ format: "jwk" });
    this.publicKeyRaw = Buffer.from(jwk.x as string, "base64url");
    this.fingerprint = fingerprintOf(this.publicKeyRaw);
    this.carriesStorage = carried !== undefined;
    this.storageSecret =
      carried ?? hkdfExtract(Buffer.from("mpush/v1 storage", "ascii"), Buffer.from(jwk.d as string, "base64url"));
    const none = Buffer.alloc(0);
    this.recordKey = hkdfExpandLabel(this.storageSecret, "record key", none, 32);
    this.indexKey = hkdfExpandLabel(this.storageSecret, "index key", none, 32);
    this.storageId = hkdfExpandLabel(this.storageSecret, "storage id", none, 9).toString("base64url");
  }

  /**
   * A new key. `keepSessionsOf`: a planned rotation, the new key opens the
   * sessions the previous one stored. Leave it out after a compromise: the old
   * storage secret is then the attacker's too, and every session must end.
   */
  static generate(keepSessionsOf?: IdentityKey): IdentityKey {
    const seed = randomBytes(32);
    try {
      return new IdentityKey(okpPrivateKey("Ed25519", seed), keepSessionsOf?.storageSecret);
    } finally {
      seed.fill(0);
    }
  }

  /** From a fixed 32-byte Ed25519 seed: for test vectors and tests; real keys come from the key file. */
  static fromSeed(seed: Uint8Array): IdentityKey {
    return new IdentityKey(okpPrivateKey("Ed25519", seed));
  }

  /** The key file's text: one private key block, and the carried storage secret's block when there is one. */
  static fromPem(pem: string): IdentityKey {
    let keyPem: string | undefined;
    let carried: Buffer | undefined;
    const blocks = pemBlocks(pem);
    // A block that does not parse (cut short, no END line, a stray space) would otherwise be skipped:
    // a storage secret lost that way silently gives this node storage keys of its own.
    if (pem.split("-----BEGIN ").length - 1 !== blocks.length) {
      throw new Error("a PEM block is damaged: a BEGIN line without its END line, or a malformed one");
    }
    for (const { block, label, body } of blocks) {
      if (label === "PUBLIC KEY") throw new Error("it holds a public key (a .pub file), not the private key");
      if (label !== STORAGE_BLOCK) {
        if (keyPem !== undefined) throw new Error(`more than one key block (a second "${label}")`);
        keyPem = block;
      } else {
        if (carried !== undefined) throw new Error(`more than one ${STORAGE_BLOCK} block`);
        carried = Buffer.from(body, "base64");
        if (carried.length !== STORAGE_SECRET_BYTES) {
          throw new Error(`${STORAGE_BLOCK} must be ${STORAGE_SECRET_BYTES} bytes, not ${carried.length}`);
        }
      }
    }
    const key = createPrivateKey(keyPem ?? pem);
    if (key.asymmetricKeyType !== "ed25519")
      throw new Error(`identity key must be Ed25519, not ${key.asymmetricKeyType}`);
    return new IdentityKey(key, carried);
  }

  /**
   * Loads the key file, or, when `create`, creates it (mode 0600) with `<file>.pub` beside it.
   * `exposed`: the file is readable or writable by group or others, which the
   * server warns about (on Windows modes say nothing, so never).
   */
  static loadOrCreate(file: string, create = true): Promise<LoadedKey> {
    return IdentityKey.load(file, create, false);
  }

  private static async load(file: string, create: boolean, lostRace: boolean): Promise<LoadedKey> {
    let pem: string;
    try {
      pem = await readFile(file, "utf8");
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw new KeyFileError(file, "cannot be read", cause);
      if (!create) throw new KeyFileError(file, "is missing, and createKeyFile is off", cause);
      const key = IdentityKey.generate();
      try {
        await key.writePrivate(file);
      } catch (failure) {
        // Another node sharing the file created it first: its key is the cluster's, so read that one.
        // Still unreadable after that (a link to nowhere), it is an error, not a loop.
        if ((failure as NodeJS.ErrnoException).code === "EEXIST" && !lostRace)
          return IdentityKey.load(file, create, true);
        throw new KeyFileError(file, "is missing and cannot be created", failure);
      }
      try {
        await key.writePublic(file);
      } catch (failure) {
        throw new KeyFileError(file, `was created, but ${file}.pub cannot be written`, failure);
      }
      return { key, created: true, exposed: false, publicMismatch: false };
    }
    // Never a racer's half-written key: keys are written aside and linked into place.
    if (pem.trim() === "")
      throw new KeyFileError(file, "is empty: remove it to have a key created, or copy the cluster's key into it");
    let key: IdentityKey;
    try {
      key = IdentityKey.fromPem(pem);
    } catch (cause) {
      throw new KeyFileError(file, "does not hold a PEM Ed25519 private key", cause);
    }
    const exposed = process.platform !== "win32" && ((await stat(file)).mode & 0o077) !== 0;
    return { key, created: false, exposed, publicMismatch: await publicMismatch(file, key) };
  }

  sign(data: Uint8Array): Buffer {
    return sign(null, data, this.privateKey);
  }

  private privatePem(): string {
    const pem = this.privateKey.export({ format: "pem", type: "pkcs8" }) as string;
    if (!this.carriesStorage) return pem;
    const body = this.storageSecret.toString("base64");
    return `${pem}-----BEGIN ${STORAGE_BLOCK}-----\n${body}\n-----END ${STORAGE_BLOCK}-----\n`;
  }

  publicKeyPem(): string {
    return createPublicKey(this.privateKey).export({ format: "pem", type: "spki" }) as string;
  }

  /** Writes the key file (mode 0600) and `<file>.pub`; refuses to replace an existing key file. */
  async writeTo(file: string): Promise<void> {
    await this.writePrivate(file);
    await this.writePublic(file);
  }

  /**
   * Creates the key file whole: written under a private temporary name, then
   * linked into place, which fails with EEXIST if the file exists. Another
   * process starting at the same moment therefore finds either no file or the
   * whole key, never a half-written one, and no key is ever replaced.
   */
  private async writePrivate(file: string): Promise<void> {
    const dir = dirname(file);
    await makeDirectories(dir, 0o700);
    const temp = join(dir, `.${basename(file)}.${randomBytes(8).toString("hex")}.tmp`);
    const handle = await open(temp, "wx", 0o600);
    try {
      try {
        await handle.writeFile(this.privatePem());
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(temp, 0o600);
      await link(temp, file);
    } finally {
      await rm(temp, { force: true });
    }
  }

  private async writePublic(file: string): Promise<void> {
    await writeFile(`${file}.pub`, this.publicKeyPem(), { mode: 0o644 });
  }
}

export interface LoadedKey {
  readonly key: IdentityKey;
  readonly created: boolean;
  /** The file is readable or writable by group or others. */
  readonly exposed: boolean;
  /** `<file>.pub` exists and is not this key's public half: clients pinning it will refuse this server. */
  readonly publicMismatch: boolean;
}

async function publicMismatch(file: string, key: IdentityKey): Promise<boolean> {
  let pub: string;
  try {
    pub = await readFile(`${file}.pub`, "utf8");
  } catch {
    return false;
  }
  return pub.trim() !== key.publicKeyPem().trim();
}
