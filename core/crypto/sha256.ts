/**
 * SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104) for the key schedule's
 * short inputs: labels, transcript hashes, hellos of a few hundred bytes.
 *
 * Why not node:crypto here: every createHmac builds an OpenSSL context and a
 * stream object that the GC must later finalize, and for a 50-byte input that
 * setup is most of the cost. A FAST_CONNECT runs 5 HMACs and 2 hashes on each
 * side; computed here, the concurrent bench row went from 0.72 to 0.87 of
 * raw-floor (docs/benchmarks.md). Nothing else changes: same function, same
 * outputs (checked against node:crypto on random inputs and against the NIST
 * and RFC 4231 vectors in test/core/crypto/sha256.test.ts). Only 32-bit adds,
 * rotations and logic: no branch and no table index depends on the data.
 * Everything else (AES, X25519, Ed25519, randomness) stays in OpenSSL.
 */
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const INITIAL = Int32Array.from([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const BLOCK = 64;
export const DIGEST_LENGTH = 32;

// One hash runs at a time (nothing here awaits), so these are shared scratch, not per call.
const w = new Int32Array(64);
const state = new Int32Array(8);
const pending = new Uint8Array(BLOCK);
const innerDigest = new Uint8Array(DIGEST_LENGTH);
const pad = new Uint8Array(BLOCK);
let pendingLength = 0;
let absorbed = 0;

function compress(bytes: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4)
    w[i] =
      ((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number);
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15] as number;
    const b = w[i - 2] as number;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}

/** Starts from the 8 words of `from` at `at`. */
function begin(from: Int32Array, at: number, alreadyAbsorbed: number): void {
  for (let i = 0; i < 8; i++) state[i] = from[at + i] as number;
  pendingLength = 0;
  absorbed = alreadyAbsorbed;
}

function absorb(data: Uint8Array): void {
  let at = 0;
  const length = data.length;
  absorbed += length;
  if (pendingLength > 0) {
    while (pendingLength < BLOCK && at < length) pending[pendingLength++] = data[at++] as number;
    if (pendingLength < BLOCK) return;
    compress(pending, 0);
    pendingLength = 0;
  }
  for (; length - at >= BLOCK; at += BLOCK) compress(data, at);
  while (at < length) pending[pendingLength++] = data[at++] as number;
}

/** Pads, compresses the last block(s) and writes the digest to `out` at `offset`. */
function end(out: Uint8Array, offset: number): void {
  const bits = absorbed * 8;
  pending[pendingLength++] = 0x80;
  if (pendingLength > BLOCK - 8) {
    pending.fill(0, pendingLength);
    compress(pending, 0);
    pendingLength = 0;
  }
  pending.fill(0, pendingLength, BLOCK - 8);
  const high = Math.floor(bits / 2 ** 32);
  const low = bits >>> 0;
  for (let i = 0; i < 4; i++) {
    pending[BLOCK - 8 + i] = (high >>> (24 - 8 * i)) & 0xff;
    pending[BLOCK - 4 + i] = (low >>> (24 - 8 * i)) & 0xff;
  }
  compress(pending, 0);
  for (let i = 0; i < 8; i++) {
    const word = state[i] as number;
    out[offset + 4 * i] = word >>> 24;
    out[offset + 4 * i + 1] = (word >>> 16) & 0xff;
    out[offset + 4 * i + 2] = (word >>> 8) & 0xff;
    out[offset + 4 * i + 3] = word & 0xff;
  }
}

export function sha256(...parts: Uint8Array[]): Buffer {
  begin(INITIAL, 0, 0);
  for (const part of parts) absorb(part);
  const out = Buffer.allocUnsafe(DIGEST_LENGTH);
  end(out, 0);
  return out;
}

/**
 * An HMAC key with its two padded blocks already compressed: each MAC under it
 * then costs two compressions fewer. The schedule MACs under the same secret
 * several times (the early secret: binder key, finished, next session secret).
 */
export class HmacKey {
  /** Inner state, then outer: one array, as an established connection keeps one key for its lifetime. */
  private readonly states = new Int32Array(16);

  constructor(key: Uint8Array) {
    const k = key.length > BLOCK ? sha256(key) : key;
    this.states.set(padded(k, 0x36), 0);
    this.states.set(padded(k, 0x5c), 8);
  }

  mac(...parts: Uint8Array[]): Buffer {
    begin(this.states, 0, BLOCK);
    for (const part of parts) absorb(part);
    end(innerDigest, 0);
    begin(this.states, 8, BLOCK);
    absorb(innerDigest);
    const out = Buffer.allocUnsafe(DIGEST_LENGTH);
    end(out, 0);
    return out;
  }
}

/** The state after compressing key XOR (0x36 or 0x5c repeated), zero-padded to a block. */
function padded(key: Uint8Array, byte: number): Int32Array {
  pad.fill(byte);
  for (let i = 0; i < key.length; i++) pad[i] = (key[i] as number) ^ byte;
  begin(INITIAL, 0, 0);
  compress(pad, 0);
  pad.fill(0);
  return state;
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  return new HmacKey(key).mac(...parts);
}
