import { startHandshake } from "../../client/flows/handshake-flow.js";
import { hkdfExtract, ZEROS } from "../../core/crypto/hkdf.js";
import { IdentityKey } from "../../core/crypto/identity-key.js";
import { type EstablishedSecrets, signatureInput } from "../../core/crypto/key-schedule.js";
import { PinnedServerKey } from "../../core/crypto/pinned-server-key.js";
import { ephemeralFromPrivate, x25519 } from "../../core/crypto/x25519.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import { Command, encodeMessage, HandshakeOk, HandshakeRequest } from "../../core/protocol/index.js";
import { sessionExpiry } from "../../core/session/session-store.js";
import { handshakeReplyParts, signedHandshakeOk } from "../../plugins/handshake/handshake-reply.js";
import type { HeartbeatNegotiator } from "../../plugins/heartbeat/heartbeat-negotiator.js";
import { assertSameBytes, hex } from "./hex.js";
import { HANDSHAKE, SERVER } from "./inputs.js";
import { trafficVector } from "./traffic.js";

export interface HandshakeResult {
  readonly vector: Record<string, unknown>;
  readonly secrets: EstablishedSecrets;
}

/**
 * One full HANDSHAKE with fixed randomness: the client half is the client
 * SDK's startHandshake, the server half the handler's own reply builders.
 */
export function handshakeVector(negotiator: HeartbeatNegotiator): HandshakeResult {
  const identity = IdentityKey.fromSeed(SERVER.identitySeed);
  const clientEphemeral = ephemeralFromPrivate(HANDSHAKE.clientEphemeralPrivate);
  const serverEphemeral = ephemeralFromPrivate(HANDSHAKE.serverEphemeralPrivate);
  const flow = startHandshake(
    HANDSHAKE.device,
    { minHeartbeatMs: HANDSHAKE.minHeartbeatMs, maxHeartbeatMs: HANDSHAKE.maxHeartbeatMs },
    PinnedServerKey.from(identity.publicKeyRaw),
    { ephemeral: clientEphemeral, clientNonce: HANDSHAKE.clientNonce },
  );

  // The server, as HandshakeHandler does it, with the randomness fixed.
  const request = HandshakeRequest.decode(flow.body);
  const heartbeatMs = negotiator.negotiate({ minMs: request.minHeartbeatMs, maxMs: request.maxHeartbeatMs });
  const shared = x25519(serverEphemeral.privateKey, request.clientShare);
  const now = HANDSHAKE.serverTimeMs;
  const expiresAtMs = sessionExpiry(now, now, SERVER.session);
  const parts = handshakeReplyParts(flow.body, shared, {
    serverNonce: HANDSHAKE.serverNonce,
    serverShare: serverEphemeral.publicKey,
    sessionId: HANDSHAKE.sessionId,
    expiresAtMs,
    heartbeatMs,
    serverTimeMs: now,
  });
  const ok = signedHandshakeOk(identity, parts);
  const replyBody = encodeMessage(HandshakeOk, ok);

  // The client checks the signature and derives the same secrets.
  const client = flow.finish(replyBody);
  assertSameBytes("session secret", client.secrets.sessionSecret, parts.secrets.sessionSecret);

  // Intermediate values, spelled out for implementers; they must give the same keys.
  const handshakeSecret = hkdfExtract(ZEROS, shared);
  const traffic = trafficVector(handshakeSecret, parts.transcriptHash, parts.secrets);

  const vector = {
    inputs: {
      client_ephemeral_private: hex(HANDSHAKE.clientEphemeralPrivate),
      server_ephemeral_private: hex(HANDSHAKE.serverEphemeralPrivate),
      client_nonce: hex(HANDSHAKE.clientNonce),
      server_nonce: hex(HANDSHAKE.serverNonce),
      device_id: HANDSHAKE.device.deviceId,
      os_name: HANDSHAKE.device.osName,
      os_version: HANDSHAKE.device.osVersion,
      client_version: HANDSHAKE.device.clientVersion,
      min_heartbeat_ms: HANDSHAKE.minHeartbeatMs,
      max_heartbeat_ms: HANDSHAKE.maxHeartbeatMs,
      seq: HANDSHAKE.seq,
      session_id: HANDSHAKE.sessionId,
      server_time_ms: now,
    },
    client_share: hex(clientEphemeral.publicKey),
    server_share: hex(serverEphemeral.publicKey),
    request_body: hex(flow.body),
    request_frame: hex(encodeFrame(Command.HANDSHAKE, 0, HANDSHAKE.seq, flow.body)),
    heartbeat_ms: heartbeatMs,
    expires_at_ms: expiresAtMs,
    server_hello: hex(parts.serverHello),
    transcript_hash: hex(parts.transcriptHash),
    signature_input: hex(signatureInput(parts.transcriptHash)),
    signature: hex(ok.signature),
    reply_body: hex(replyBody),
    reply_frame: hex(encodeFrame(Command.HANDSHAKE, 0, HANDSHAKE.seq, replyBody)),
    shared_secret: hex(shared),
    handshake_secret: hex(handshakeSecret),
    ...traffic,
  };
  return { vector, secrets: parts.secrets };
}
