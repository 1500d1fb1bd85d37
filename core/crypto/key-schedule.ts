import { unpooledCopy } from "../runtime/unpooled.js";
import { deriveSecret, hkdfExpandLabel, hkdfExtract, type Secret, ZEROS } from "./hkdf.js";
import { HmacKey, hmacSha256, sha256 } from "./sha256.js";

/**
 * The key schedule, shaped after TLS 1.3 (RFC 8446 section 7.1) with one
 * cipher suite: X25519, Ed25519, HKDF-SHA256, AES-128-GCM. docs/protocol.md
 * gives every step with test vectors; this file is the reference.
 *
 * Full handshake (TLS 1.3 (EC)DHE without PSK):
 *   shared     = X25519(client_share, server_share)
 *   TH         = SHA-256(len(request) || request || len(server_hello) || server_hello)
 *   hs         = HKDF-Extract(0^32, shared)
 *   c_traffic  = Derive-Secret(hs, "c ap traffic", TH)
 *   s_traffic  = Derive-Secret(hs, "s ap traffic", TH)
 *   session    = Derive-Secret(hs, "res master", TH)
 *
 * Resumption (TLS 1.3 psk_ke with a binder):
 *   early      = HKDF-Extract(0^32, session)
 *   binder_key = Derive-Secret(early, "res binder", SHA-256(""))
 *   binder     = HMAC-SHA256(binder_key, SHA-256(hello))
 *   TH         = SHA-256(len(hello) || hello || len(server_hello) || server_hello)
 *   c_traffic  = Derive-Secret(early, "c ap traffic", TH)
 *   s_traffic  = Derive-Secret(early, "s ap traffic", TH)
 *   session'   = Derive-Secret(early, "res master", TH)      (the rotated session's secret)
 *   finished   = Derive-Secret(early, "s finished", TH)
 *
 * Traffic keys, per direction (TLS 1.3 section 7.3):
 *   key = HKDF-Expand-Label(traffic, "key", "", 16)
 *   iv  = HKDF-Expand-Label(traffic, "iv", "", 12)
 */
export const AEAD = "aes-128-gcm";
export const KEY_LENGTH = 16;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
export const NONCE_LENGTH = 32;
export const SIGNATURE_CONTEXT = Buffer.from("mpush/v1 handshake\0", "ascii");

const EMPTY = Buffer.alloc(0);
const EMPTY_HASH = sha256(EMPTY);

export interface DirectionKeys {
  readonly key: Buffer;
  readonly iv: Buffer;
}

export interface TrafficKeys {
  readonly clientToServer: DirectionKeys;
  readonly serverToClient: DirectionKeys;
}

export interface EstablishedSecrets {
  readonly traffic: TrafficKeys;
  /** The resumption secret of the session this connection now holds. */
  readonly sessionSecret: Buffer;
}

/**
 * Each part is prefixed with its length (4 bytes, big-endian), so no bytes can
 * move from the end of one to the start of the other: protobuf ignores what it
 * does not know and lets a later field win, so without the prefixes a man in
 * the middle could append fields to the client's request (a device id of his
 * choosing) and prepend the same bytes to the server's hello, and both sides
 * would hash, sign and verify the same bytes.
 */
export function transcriptHash(first: Uint8Array, second: Uint8Array): Buffer {
  return sha256(lengthOf(first), first, lengthOf(second), second);
}

function lengthOf(part: Uint8Array): Buffer {
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(part.length, 0);
  return prefix;
}

export function directionKeys(trafficSecret: Uint8Array): DirectionKeys {
  return {
    key: hkdfExpandLabel(trafficSecret, "key", EMPTY, KEY_LENGTH),
    iv: hkdfExpandLabel(trafficSecret, "iv", EMPTY, IV_LENGTH),
  };
}

/**
 * A direction's keys, derived (traffic secret, then key and iv) the first time
 * a frame is sealed or opened: a connection that only ever exchanges 0xDF
 * heartbeats, like an idle push receiver, never pays for them. Meanwhile it
 * holds the secret they derive from, which is no more than the connection
 * already knows: the session secret it just established.
 */
class DerivedOnUse implements DirectionKeys {
  private keys: DirectionKeys | undefined;

  constructor(
    private readonly secret: Secret,
    private readonly label: string,
    private readonly th: Uint8Array,
  ) {}

  get key(): Buffer {
    return this.derive().key;
  }

  get iv(): Buffer {
    return this.derive().iv;
  }

  private derive(): DirectionKeys {
    this.keys ??= directionKeys(deriveSecret(this.secret, this.label, this.th));
    return this.keys;
  }
}

function established(secret: HmacKey, th: Uint8Array): EstablishedSecrets {
  // Kept until each direction's first frame (an idle connection's whole life): not as a slice of a shared pool.
  const kept = unpooledCopy(th);
  return {
    traffic: {
      clientToServer: new DerivedOnUse(secret, "c ap traffic", kept),
      serverToClient: new DerivedOnUse(secret, "s ap traffic", kept),
    },
    sessionSecret: deriveSecret(secret, "res master", th),
  };
}

export function handshakeSecrets(shared: Uint8Array, th: Uint8Array): EstablishedSecrets {
  return established(new HmacKey(hkdfExtract(ZEROS, shared)), th);
}

export function signatureInput(th: Uint8Array): Buffer {
  return Buffer.concat([SIGNATURE_CONTEXT, th]);
}

/** Everything derived from one session secret for one resume attempt. */
export class ResumeSchedule {
  /** Keys three or four derivations: its padded blocks are compressed once. */
  private readonly early: HmacKey;

  constructor(sessionSecret: Uint8Array) {
    this.early = new HmacKey(hkdfExtract(ZEROS, sessionSecret));
  }

  binder(hello: Uint8Array): Buffer {
    return hmacSha256(deriveSecret(this.early, "res binder", EMPTY_HASH), sha256(hello));
  }

  finished(th: Uint8Array): Buffer {
    return deriveSecret(this.early, "s finished", th);
  }

  established(th: Uint8Array): EstablishedSecrets {
    return established(this.early, th);
  }
}
