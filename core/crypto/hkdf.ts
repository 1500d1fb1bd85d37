import { DIGEST_LENGTH, HmacKey } from "./sha256.js";

/**
 * HKDF-SHA256 (RFC 5869) with TLS 1.3's HKDF-Expand-Label and Derive-Secret
 * (RFC 8446 section 7.1), under the label prefix "mpush1 " instead of "tls13 ".
 * A secret that keys several derivations can be passed as an HmacKey, so its
 * padded blocks are compressed once.
 */
const LABEL_PREFIX = "mpush1 ";
export const HASH_LENGTH = DIGEST_LENGTH;
export const ZEROS = Buffer.alloc(HASH_LENGTH);
const ZERO_SALT = new HmacKey(ZEROS);

/** A PRK or secret: its bytes, or the same bytes ready as an HMAC key. */
export type Secret = Uint8Array | HmacKey;

const keyOf = (secret: Secret): HmacKey => (secret instanceof HmacKey ? secret : new HmacKey(secret));

export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  return (salt === ZEROS ? ZERO_SALT : new HmacKey(salt)).mac(ikm);
}

/** T(1)'s counter byte. */
const FIRST_BLOCK = Uint8Array.of(1);

export function hkdfExpand(prk: Secret, info: Uint8Array, length: number): Buffer {
  return expand(keyOf(prk), length, info);
}

/** HKDF-Expand with the info given in parts, so that a label's fixed header need not be copied next to its context. */
function expand(key: HmacKey, length: number, ...info: Uint8Array[]): Buffer {
  if (length > 255 * HASH_LENGTH) throw new RangeError("HKDF-Expand length too large");
  // Every key, iv and secret of the schedule fits in T(1) = HMAC(PRK, info || 0x01).
  if (length <= HASH_LENGTH) {
    const first = key.mac(...info, FIRST_BLOCK);
    return length === HASH_LENGTH ? first : first.subarray(0, length);
  }
  const out = Buffer.allocUnsafe(length);
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 0, filled = 0; filled < length; i++) {
    previous = key.mac(previous, ...info, Uint8Array.of(i + 1));
    filled += previous.copy(out, filled);
  }
  return out;
}

/** struct { uint16 length; opaque label<7..255> = "mpush1 " + Label; opaque context<0..255>; } */
export function hkdfLabel(label: string, context: Uint8Array, length: number): Buffer {
  return Buffer.concat([labelHeader(label, context.length, length), context]);
}

/**
 * The label struct up to its context. The schedule uses each label with one
 * output length and one context length, so each header is built once.
 */
const headers = new Map<string, Buffer>();

function labelHeader(label: string, contextLength: number, length: number): Buffer {
  const cached = headers.get(label);
  if (cached !== undefined && cached.readUInt16BE(0) === length && cached[cached.length - 1] === contextLength)
    return cached;
  // Labels are ASCII, so characters are bytes.
  const labelLength = LABEL_PREFIX.length + label.length;
  const header = Buffer.alloc(2 + 1 + labelLength + 1);
  header.writeUInt16BE(length, 0);
  header[2] = labelLength;
  header.write(LABEL_PREFIX, 3, "ascii");
  header.write(label, 3 + LABEL_PREFIX.length, "ascii");
  header[3 + labelLength] = contextLength;
  headers.set(label, header);
  return header;
}

export function hkdfExpandLabel(secret: Secret, label: string, context: Uint8Array, length: number): Buffer {
  return expand(keyOf(secret), length, labelHeader(label, context.length, length), context);
}

/** Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(secret: Secret, label: string, transcriptHash: Uint8Array): Buffer {
  return hkdfExpandLabel(secret, label, transcriptHash, HASH_LENGTH);
}
