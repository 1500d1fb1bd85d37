import { startFastConnect } from "../../client/flows/fast-connect-flow.js";
import { deriveSecret, hkdfExtract, ZEROS } from "../../core/crypto/hkdf.js";
import { type EstablishedSecrets, ResumeSchedule } from "../../core/crypto/key-schedule.js";
import { hmacSha256, sha256 } from "../../core/crypto/sha256.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import {
  Command,
  encodeMessage,
  FastConnectHello,
  FastConnectOk,
  FastConnectRequest,
} from "../../core/protocol/index.js";
import { sessionExpiry } from "../../core/session/session-store.js";
import { fastConnectReplyParts } from "../../plugins/fast-connect/fast-connect-reply.js";
import type { HeartbeatNegotiator } from "../../plugins/heartbeat/heartbeat-negotiator.js";
import { assertSameBytes, hex } from "./hex.js";
import { FAST_CONNECT, HANDSHAKE, SERVER } from "./inputs.js";
import { trafficVector } from "./traffic.js";

export interface FastConnectResult {
  readonly vector: Record<string, unknown>;
  readonly secrets: EstablishedSecrets;
}

/**
 * Resumes the session of the handshake vector: the client half is the SDK's
 * startFastConnect, the server half FastConnectHandler's checks and reply
 * builder, with the nonce, the new id and the clock fixed.
 */
export function fastConnectVector(negotiator: HeartbeatNegotiator, sessionSecret: Buffer): FastConnectResult {
  const ticket = { sessionId: HANDSHAKE.sessionId, sessionSecret, deviceId: HANDSHAKE.device.deviceId };
  const wish = { minHeartbeatMs: FAST_CONNECT.minHeartbeatMs, maxHeartbeatMs: FAST_CONNECT.maxHeartbeatMs };
  const flow = startFastConnect(ticket, wish, FAST_CONNECT.timestampMs, FAST_CONNECT.clientNonce);

  // The server: the same checks as FastConnectHandler, in its order.
  const request = FastConnectRequest.decode(flow.body);
  const hello = FastConnectHello.decode(request.hello);
  const heartbeatMs = negotiator.negotiate({ minMs: hello.minHeartbeatMs, maxMs: hello.maxHeartbeatMs });
  const schedule = new ResumeSchedule(sessionSecret);
  assertSameBytes("binder", schedule.binder(request.hello), request.binder);
  if (hello.deviceId !== HANDSHAKE.device.deviceId) throw new Error("test vectors: device differs");
  const now = FAST_CONNECT.serverTimeMs;
  if (Math.abs(now - hello.timestampMs) > SERVER.session.replayWindowMs) throw new Error("test vectors: stale");
  const expiresAtMs = sessionExpiry(now, HANDSHAKE.serverTimeMs, SERVER.session);
  const parts = fastConnectReplyParts(schedule, request.hello, {
    serverNonce: FAST_CONNECT.serverNonce,
    sessionId: FAST_CONNECT.newSessionId,
    expiresAtMs,
    heartbeatMs,
    serverTimeMs: now,
  });
  const replyBody = encodeMessage(FastConnectOk, parts.ok);

  // The client checks finished and derives the same secrets.
  const client = flow.finish(replyBody);
  assertSameBytes("rotated session secret", client.secrets.sessionSecret, parts.secrets.sessionSecret);

  const earlySecret = hkdfExtract(ZEROS, sessionSecret);
  const binderKey = deriveSecret(earlySecret, "res binder", sha256(Buffer.alloc(0)));
  assertSameBytes("binder from its key", hmacSha256(binderKey, sha256(request.hello)), request.binder);
  const traffic = trafficVector(earlySecret, parts.transcriptHash, parts.secrets);

  const vector = {
    inputs: {
      session_id: HANDSHAKE.sessionId,
      session_secret: hex(sessionSecret),
      device_id: HANDSHAKE.device.deviceId,
      min_heartbeat_ms: FAST_CONNECT.minHeartbeatMs,
      max_heartbeat_ms: FAST_CONNECT.maxHeartbeatMs,
      client_nonce: hex(FAST_CONNECT.clientNonce),
      timestamp_ms: FAST_CONNECT.timestampMs,
      seq: FAST_CONNECT.seq,
      server_nonce: hex(FAST_CONNECT.serverNonce),
      new_session_id: FAST_CONNECT.newSessionId,
      server_time_ms: now,
      session_created_at_ms: HANDSHAKE.serverTimeMs,
    },
    hello: hex(request.hello),
    early_secret: hex(earlySecret),
    binder_key: hex(binderKey),
    binder: hex(request.binder),
    request_body: hex(flow.body),
    request_frame: hex(encodeFrame(Command.FAST_CONNECT, 0, FAST_CONNECT.seq, flow.body)),
    heartbeat_ms: heartbeatMs,
    expires_at_ms: expiresAtMs,
    server_hello: hex(parts.ok.serverHello),
    transcript_hash: hex(parts.transcriptHash),
    finished: hex(parts.ok.finished),
    reply_body: hex(replyBody),
    reply_frame: hex(encodeFrame(Command.FAST_CONNECT, 0, FAST_CONNECT.seq, replyBody)),
    ...traffic,
  };
  return { vector, secrets: parts.secrets };
}
