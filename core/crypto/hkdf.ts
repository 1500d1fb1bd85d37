import { createHmac, hash } from "node:crypto";

/**
 * HKDF-SHA256 (RFC 5869) with TLS 1.3's HKDF-Expand-Label and Derive-Secret
 * (RFC 8446 section 7.1), under the label prefix "mpush1 " instead of "tls13 ".
 * Built on HMAC directly: one HMAC per 32 output bytes, no KeyObject round trip.
 */
const LABEL_PREFIX = "mpush1 ";
export const HASH_LENGTH = 32;
export const ZEROS = Buffer.alloc(HASH_LENGTH);

/** One-shot hashing: no Hash object (and its native handle) per call; parts are short. */
export function sha256(...parts: Uint8Array[]): Buffer {
  return hash("sha256", parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts), "buffer");
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return hmacSha256(salt, ikm);
}

/** T(1)'s counter byte. */
const FIRST_BLOCK = Uint8Array.of(1);

export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (length > 255 * HASH_LENGTH) throw new RangeError("HKDF-Expand length too large");
  // Every key, iv and secret of the schedule fits in T(1) = HMAC(PRK, info || 0x01).
  if (length <= HASH_LENGTH) {
    const first = hmacSha256(prk, info, FIRST_BLOCK);
    return length === HASH_LENGTH ? first : first.subarray(0, length);
  }
  const out = Buffer.allocUnsafe(length);
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0, filled = 0; filled < length; i++) {
    previous = hmacSha256(prk, previous, info, Uint8Array.of(i + 1));
    filled += previous.copy(out, filled);
  }
  return out;
}

/** struct { uint16 length; opaque label<7..255> = "mpush1 " + Label; opaque context<0..255>; } */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Buffer {
  // Labels are ASCII, so characters are bytes: one allocation, no intermediate buffer.
  const labelLength = LABEL_PREFIX.length + label.length;
  const out = Buffer.allocUnsafe(2 + 1 + labelLength + 1 + context.length);
  out.writeUInt16BE(length, 0);
  out[2] = labelLength;
  out.write(LABEL_PREFIX, 3, "ascii");
  out.write(label, 3 + LABEL_PREFIX.length, "ascii");
  out[3 + labelLength] = context.length;
  out.set(context, 4 + labelLength);
  return out;
}

export function hkdfExpandLabel(secret: Uint8Array, label: string, context: Uint8Array, length: number): Buffer {
  return hkdfExpand(secret, hkdfLabel(label, context, length), length);
}

/** Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(secret: Uint8Array, label: string, transcriptHash: Uint8Array): Buffer {
  return hkdfExpandLabel(secret, label, transcriptHash, HASH_LENGTH);
}
