import { timingSafeEqual } from "node:crypto";
import { AesCtr } from "./aes-ctr.js";
import { pooledRandomBytes } from "./random-pool.js";
import { HmacKey } from "./sha256.js";

export const CTR_HMAC_IV = 16;
export const CTR_HMAC_TAG = 32;

/**
 * AES-256-CTR then HMAC-SHA256 over the associated data and the ciphertext
 * (encrypt-then-MAC), laid out as Tink's AesCtrHmacAead:
 *
 *   sealed = iv (16 random bytes) || AES-256-CTR(enc_key, iv, plaintext) || tag
 *   tag    = HMAC-SHA256(mac_key, aad || iv || ciphertext || uint64be(8 * len(aad)))
 *
 * Chosen over AES-GCM where messages are small and many: it creates no cipher
 * object per call (aes-ctr.ts) and hashes in TypeScript (sha256.ts). The two
 * keys must be independent.
 */
export class CtrHmacAead {
  private readonly ctr: AesCtr;
  private readonly mac: HmacKey;

  constructor(encKey: Uint8Array, macKey: Uint8Array) {
    this.ctr = new AesCtr(encKey);
    this.mac = new HmacKey(macKey);
  }

  seal(aad: Uint8Array, plaintext: Uint8Array): Buffer {
    const sealed = Buffer.allocUnsafe(CTR_HMAC_IV + plaintext.length + CTR_HMAC_TAG);
    const iv = pooledRandomBytes(CTR_HMAC_IV);
    iv.copy(sealed, 0);
    this.ctr.apply(iv, plaintext, sealed, CTR_HMAC_IV);
    const body = sealed.subarray(0, CTR_HMAC_IV + plaintext.length);
    this.tag(aad, body).copy(sealed, body.length);
    return sealed;
  }

  /** The plaintext, or undefined when `sealed` was not sealed under these keys with this `aad`. */
  open(aad: Uint8Array, sealed: Uint8Array): Buffer | undefined {
    if (sealed.length < CTR_HMAC_IV + CTR_HMAC_TAG) return undefined;
    const body = sealed.subarray(0, sealed.length - CTR_HMAC_TAG);
    if (!timingSafeEqual(this.tag(aad, body), sealed.subarray(body.length))) return undefined;
    const plaintext = Buffer.allocUnsafe(body.length - CTR_HMAC_IV);
    this.ctr.apply(body.subarray(0, CTR_HMAC_IV), body.subarray(CTR_HMAC_IV), plaintext, 0);
    return plaintext;
  }

  private tag(aad: Uint8Array, body: Uint8Array): Buffer {
    const bits = Buffer.allocUnsafe(8);
    const length = aad.length * 8;
    bits.writeUInt32BE(Math.floor(length / 2 ** 32), 0);
    bits.writeUInt32BE(length >>> 0, 4);
    return this.mac.mac(aad, body, bits);
  }
}
