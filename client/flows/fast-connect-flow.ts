import { timingSafeEqual } from "node:crypto";
import { NONCE_LENGTH, ResumeSchedule, transcriptHash } from "../../core/crypto/key-schedule.js";
import { pooledRandomBytes } from "../../core/crypto/random-pool.js";
import {
  encodeMessage,
  FastConnectHello,
  FastConnectOk,
  FastConnectRequest,
  FastConnectServerHello,
} from "../../core/protocol/index.js";
import { VerificationError } from "../errors.js";
import type { EstablishedSession, HeartbeatWish } from "./handshake-flow.js";

export interface ResumeTicket {
  readonly sessionId: string;
  readonly sessionSecret: Uint8Array;
  readonly deviceId: string;
}

/**
 * The client half of FAST_CONNECT: a hello with a fresh nonce and the
 * server-time stamp, bound by the binder (proof of possession). `finish`
 * checks the server's finished MAC and derives the rotated session's secrets.
 */
export function startFastConnect(
  ticket: ResumeTicket,
  heartbeat: HeartbeatWish,
  timestampMs: number,
  clientNonce: Uint8Array = pooledRandomBytes(NONCE_LENGTH),
): { body: Buffer; finish(replyBody: Uint8Array): EstablishedSession } {
  const schedule = new ResumeSchedule(ticket.sessionSecret);
  const hello = encodeMessage(FastConnectHello, {
    sessionId: ticket.sessionId,
    deviceId: ticket.deviceId,
    minHeartbeatMs: heartbeat.minHeartbeatMs,
    maxHeartbeatMs: heartbeat.maxHeartbeatMs,
    clientNonce: Buffer.from(clientNonce),
    timestampMs,
  });
  const body = encodeMessage(FastConnectRequest, { hello, binder: schedule.binder(hello) });
  return {
    body,
    finish(replyBody) {
      const ok = FastConnectOk.decode(replyBody);
      const th = transcriptHash(hello, ok.serverHello);
      const expected = schedule.finished(th);
      if (ok.finished.length !== expected.length || !timingSafeEqual(ok.finished, expected)) {
        throw new VerificationError("FAST_CONNECT reply does not prove the session secret");
      }
      const serverHello = FastConnectServerHello.decode(ok.serverHello);
      return {
        secrets: schedule.established(th),
        sessionId: serverHello.sessionId,
        expiresAtMs: serverHello.expiresAtMs,
        heartbeatMs: serverHello.heartbeatMs,
        serverTimeMs: serverHello.serverTimeMs,
      };
    },
  };
}
