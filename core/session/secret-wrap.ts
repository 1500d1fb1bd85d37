import { type Cipher, createCipheriv, createDecipheriv, type Decipher, randomBytes } from "node:crypto";

const BLOCK = 16;

/**
 * AES-256 applied block by block (ECB, no padding) under a key drawn at random
 * for this instance; once OpenSSL's two contexts hold it, the JS copy is zeroed.
 *
 * Sound for what it wraps: session secrets are HKDF outputs, uniformly random
 * and never repeated, and a block cipher applied to distinct random blocks is
 * a pseudorandom permutation of them that reveals nothing (the argument
 * deterministic key wrapping rests on). There is no tag: the wrapped value
 * lives in this process's memory, and whoever can alter it can also read the
 * process. One ECB context serves every call, so a wrap creates no cipher
 * object; that is the point against AES-GCM here.
 */
export class SecretWrap {
  private readonly encrypt: Cipher;
  private readonly decrypt: Decipher;

  /** `key` is for tests that check against a reference; by default the key is random. */
  constructor(key?: Buffer) {
    const secret = key ?? randomBytes(32);
    this.encrypt = createCipheriv("aes-256-ecb", secret, null).setAutoPadding(false);
    this.decrypt = createDecipheriv("aes-256-ecb", secret, null).setAutoPadding(false);
    if (key === undefined) secret.fill(0);
  }

  /**
   * As a latin1 string, one character per byte: a record kept for a day holds
   * 32 characters instead of a Buffer with an ArrayBuffer of its own (about
   * 50 bytes of heap against 220).
   */
  wrap(secret: Uint8Array): string {
    return this.encrypt.update(whole(secret)).toString("latin1");
  }

  unwrap(wrapped: string): Buffer {
    return this.decrypt.update(whole(Buffer.from(wrapped, "latin1")));
  }
}

/** A partial block would stay buffered in the shared context and shift every later call. */
function whole(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0 || bytes.length % BLOCK !== 0)
    throw new RangeError(`a wrapped secret is whole ${BLOCK}-byte blocks, not ${bytes.length} bytes`);
  return bytes;
}
