import { timingSafeEqual } from "node:crypto";
import { HASH_LENGTH } from "../../core/crypto/hkdf.js";
import { NONCE_LENGTH, ResumeSchedule } from "../../core/crypto/key-schedule.js";
import { pooledRandomBytes } from "../../core/crypto/random-pool.js";
import {
  CLOCK,
  type Clock,
  CONFIG,
  Command,
  type CommandHandler,
  ErrorCode,
  type HandlerContext,
  Handles,
  HEARTBEAT_POLICY,
  type HeartbeatPolicy,
  inject,
  LOGGER,
  type Logger,
  ProtocolError,
  type Reply,
  reply,
  SESSION_STORE,
  type ServerConfig,
  type SessionStore,
  type StoredSession,
  StoreUnavailableError,
} from "../../core/index.js";
import { STORM_LOG_INTERVAL_MS, type ThrottledLog, throttledWarn } from "../../core/log/throttled-log.js";
import { FastConnectHello, FastConnectOk, FastConnectRequest } from "../../core/protocol/index.js";
import { DEVICE_ID_MAX_BYTES, requireBytes, requireText } from "../../core/session/field-rules.js";
import { fastConnectReplyParts } from "./fast-connect-reply.js";

const SESSION_ID_MAX_BYTES = 64;

/**
 * FAST_CONNECT, MPush's three outcomes plus proof of possession, replay
 * refusal, revocation and rotation. Checks, in order:
 *   session not in the store            SESSION_EXPIRED
 *   binder does not verify              BAD_PROOF       (before the device check: no oracle without the secret)
 *   device differs from the session's   INVALID_DEVICE
 *   timestamp outside the window        REPLAYED
 *   lifetime cap reached                SESSION_EXPIRED
 * then one store rotation (a single script on Redis):
 *   nonce already claimed (any node)    REPLAYED
 *   a newer HANDSHAKE of the device     SESSION_EXPIRED (the chain was superseded)
 *   old id no longer in the store       SESSION_EXPIRED (a racing resume won, or it expired; the delete is the single-use point)
 *   else the session is saved under a new id with a new secret; FAST_CONNECT_OK
 * goes out in clear, keys switch on, and the session is set on the connection
 * once that reply is written.
 */
@Handles(Command.FAST_CONNECT, { request: FastConnectRequest, access: "public", boundsItself: true })
export class FastConnectHandler implements CommandHandler<FastConnectRequest> {
  constructor(
    @inject(SESSION_STORE) private readonly sessions: SessionStore,
    @inject(HEARTBEAT_POLICY) private readonly heartbeat: HeartbeatPolicy,
    @inject(CONFIG) private readonly config: ServerConfig,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(LOGGER) log: Logger,
  ) {
    // Once per request during an outage, and an outage brings a reconnect storm.
    this.storeDown = throttledWarn(log, STORM_LOG_INTERVAL_MS);
  }

  private readonly storeDown: ThrottledLog;

  async handle(request: FastConnectRequest, context: HandlerContext): Promise<Reply> {
    if (context.connection.session) {
      throw new ProtocolError(ErrorCode.REPEAT_HANDSHAKE, "this connection already has a session");
    }
    const hello = decodeHello(request.hello);
    requireText("session_id", hello.sessionId, SESSION_ID_MAX_BYTES, true);
    requireText("device_id", hello.deviceId, DEVICE_ID_MAX_BYTES, true);
    requireBytes("client_nonce", hello.clientNonce, NONCE_LENGTH);
    requireBytes("binder", request.binder, HASH_LENGTH);
    const heartbeatMs = this.heartbeat.negotiate({ minMs: hello.minHeartbeatMs, maxMs: hello.maxHeartbeatMs });

    const session = await this.storeCall(context, () => this.sessions.get(hello.sessionId));
    // A peer gone meanwhile would never get the rotated id: its session must stay resumable.
    context.throwIfAborted();
    if (session === undefined) throw new ProtocolError(ErrorCode.SESSION_EXPIRED, "session expired or unknown");
    const schedule = new ResumeSchedule(session.sessionSecret);
    if (!timingSafeEqual(schedule.binder(request.hello), request.binder)) {
      throw new ProtocolError(ErrorCode.BAD_PROOF, "binder does not verify");
    }
    if (session.deviceId !== hello.deviceId) {
      throw new ProtocolError(ErrorCode.INVALID_DEVICE, "session belongs to another device");
    }
    const now = this.clock.now();
    const window = this.config.session.replayWindowMs;
    if (Math.abs(now - hello.timestampMs) > window) {
      throw new ProtocolError(ErrorCode.REPLAYED, `timestamp is more than ${window} ms from server time ${now}`);
    }
    const allocation = this.sessions.allocate(session.createdAtMs);
    if (allocation === undefined)
      throw new ProtocolError(ErrorCode.SESSION_EXPIRED, "session reached its maximum lifetime");
    const { ok, secrets } = fastConnectReplyParts(schedule, request.hello, {
      serverNonce: pooledRandomBytes(NONCE_LENGTH),
      sessionId: allocation.id,
      expiresAtMs: allocation.expiresAtMs,
      heartbeatMs,
      serverTimeMs: now,
    });
    const rotated: StoredSession = {
      ...session,
      heartbeatMs,
      sessionSecret: secrets.sessionSecret,
      expiresAtMs: allocation.expiresAtMs,
    };
    // The nonce claim refuses replays on every node, the chain check a superseded chain; the delete is the single-use point.
    const outcome = await this.storeCall(context, () =>
      this.sessions.rotate({
        from: hello.sessionId,
        nonce: hello.clientNonce,
        nonceTtlMs: 2 * window,
        to: allocation.id,
        record: rotated,
      }),
    );
    if (outcome === "replayed") throw new ProtocolError(ErrorCode.REPLAYED, "request was already used");
    if (outcome === "superseded") {
      throw new ProtocolError(ErrorCode.SESSION_EXPIRED, "session was superseded by a newer handshake of this device");
    }
    if (outcome === "gone") throw new ProtocolError(ErrorCode.SESSION_EXPIRED, "session expired or already resumed");
    return reply(FastConnectOk, ok, {
      establish: {
        secrets,
        session: {
          deviceId: session.deviceId,
          osName: session.osName,
          osVersion: session.osVersion,
          clientVersion: session.clientVersion,
          heartbeatMs,
          sessionId: allocation.id,
          expiresAt: allocation.expiresAtMs,
          resumed: true,
        },
      },
    });
  }

  /** Store failures answer STORE_UNAVAILABLE, and are logged (throttled): the client's reply says nothing of why. */
  private async storeCall<T>(context: HandlerContext, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.storeDown(
        { connection: context.connection.id, err: error },
        "session store unavailable; FAST_CONNECT refused",
      );
      throw new ProtocolError(ErrorCode.STORE_UNAVAILABLE, "session store unavailable; retry later", { cause: error });
    }
  }
}

function decodeHello(bytes: Buffer): FastConnectHello {
  try {
    return FastConnectHello.decode(bytes);
  } catch (cause) {
    throw new ProtocolError(ErrorCode.MALFORMED_BODY, "hello is not a FastConnectHello", { cause });
  }
}
