import { createCipheriv, createDecipheriv } from "node:crypto";
import { pooledRandomBytes } from "../crypto/random-pool.js";
import { encodeMessage, SessionRecord } from "../protocol/index.js";

const RECORD_AEAD = "aes-256-gcm";
const RECORD_NONCE = 12;
const RECORD_TAG = 16;

/**
 * nonce || AES-256-GCM(record_key, nonce, SessionRecord, aad = store key).
 * The store key as AAD pins a record to its id: moved under another key, it
 * does not open.
 */
export class RecordSealer {
  constructor(private readonly recordKey: Buffer) {}

  seal(key: string, record: SessionRecord): Buffer {
    const plain = encodeMessage(SessionRecord, record);
    const out = Buffer.allocUnsafe(RECORD_NONCE + plain.length + RECORD_TAG);
    const nonce = pooledRandomBytes(RECORD_NONCE);
    nonce.copy(out, 0);
    const cipher = createCipheriv(RECORD_AEAD, this.recordKey, nonce);
    cipher.setAAD(Buffer.from(key));
    // GCM is a stream mode: update returns exactly as many bytes as it is given.
    cipher.update(plain).copy(out, RECORD_NONCE);
    cipher.final();
    cipher.getAuthTag().copy(out, RECORD_NONCE + plain.length);
    return out;
  }

  /** A record that does not open (other key, other server key, tampering) reads as no session. */
  open(key: string, sealed: Buffer): SessionRecord | undefined {
    if (sealed.length < RECORD_NONCE + RECORD_TAG) return undefined;
    try {
      const decipher = createDecipheriv(RECORD_AEAD, this.recordKey, sealed.subarray(0, RECORD_NONCE));
      decipher.setAAD(Buffer.from(key));
      decipher.setAuthTag(sealed.subarray(sealed.length - RECORD_TAG));
      const plain = decipher.update(sealed.subarray(RECORD_NONCE, sealed.length - RECORD_TAG));
      decipher.final();
      return SessionRecord.decode(plain);
    } catch {
      return undefined;
    }
  }
}
