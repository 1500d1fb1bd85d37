import {
  type EstablishedSecrets,
  handshakeSecrets,
  NONCE_LENGTH,
  signatureInput,
  transcriptHash,
} from "../../core/crypto/key-schedule.js";
import type { PinnedServerKey } from "../../core/crypto/pinned-server-key.js";
import { pooledRandomBytes } from "../../core/crypto/random-pool.js";
import { type EphemeralKeyPair, generateEphemeral, x25519 } from "../../core/crypto/x25519.js";
import { encodeMessage, HandshakeOk, HandshakeRequest, HandshakeServerHello } from "../../core/protocol/index.js";
import { VerificationError } from "../errors.js";

export interface DeviceInfo {
  readonly deviceId: string;
  readonly osName: string;
  readonly osVersion: string;
  readonly clientVersion: string;
}

export interface HeartbeatWish {
  readonly minHeartbeatMs: number;
  readonly maxHeartbeatMs: number;
}

/** What a successful HANDSHAKE or FAST_CONNECT leaves the client with. */
export interface EstablishedSession {
  readonly secrets: EstablishedSecrets;
  /** Empty when the server could not store the session (it cannot be resumed). */
  readonly sessionId: string;
  readonly expiresAtMs: number;
  readonly heartbeatMs: number;
  readonly serverTimeMs: number;
}

/** A HANDSHAKE's session also names the pinned key that signed the reply. */
export interface HandshakeSession extends EstablishedSession {
  readonly serverFingerprint: string;
}

/** Fixed randomness, for test vectors only. */
export interface HandshakeRandomness {
  readonly ephemeral?: EphemeralKeyPair;
  readonly clientNonce?: Uint8Array;
}

/**
 * The client half of HANDSHAKE: `body` is what to send; `finish` checks the
 * server's signature over the transcript with the pinned key (any of them,
 * when several are pinned during a key rotation), then derives the same
 * secrets as the server. Throws VerificationError when no pinned key signed
 * the reply.
 */
export function startHandshake(
  device: DeviceInfo,
  heartbeat: HeartbeatWish,
  serverKey: PinnedServerKey | readonly PinnedServerKey[],
  randomness: HandshakeRandomness = {},
): { body: Buffer; finish(replyBody: Uint8Array): HandshakeSession } {
  const pinned = [serverKey].flat();
  if (pinned.length === 0) throw new RangeError("no server key pinned");
  const ephemeral = randomness.ephemeral ?? generateEphemeral();
  const body = encodeMessage(HandshakeRequest, {
    ...device,
    minHeartbeatMs: heartbeat.minHeartbeatMs,
    maxHeartbeatMs: heartbeat.maxHeartbeatMs,
    clientNonce: Buffer.from(randomness.clientNonce ?? pooledRandomBytes(NONCE_LENGTH)),
    clientShare: ephemeral.publicKey,
  });
  return {
    body,
    finish(replyBody) {
      const ok = HandshakeOk.decode(replyBody);
      const th = transcriptHash(body, ok.serverHello);
      const signed = signatureInput(th);
      const signer = pinned.find((key) => key.verify(signed, ok.signature));
      if (signer === undefined) {
        throw new VerificationError(
          `HANDSHAKE reply is not signed by the pinned server key${pinned.length > 1 ? " (any of them)" : ""}`,
        );
      }
      const hello = HandshakeServerHello.decode(ok.serverHello);
      const secrets = handshakeSecrets(x25519(ephemeral.privateKey, hello.serverShare), th);
      return {
        secrets,
        sessionId: hello.sessionId,
        expiresAtMs: hello.expiresAtMs,
        heartbeatMs: hello.heartbeatMs,
        serverTimeMs: hello.serverTimeMs,
        serverFingerprint: signer.fingerprint,
      };
    },
  };
}
