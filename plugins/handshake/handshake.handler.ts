import { NONCE_LENGTH } from "../../core/crypto/key-schedule.js";
import { pooledRandomBytes } from "../../core/crypto/random-pool.js";
import { generateEphemeral, X25519_KEY_LENGTH, x25519 } from "../../core/crypto/x25519.js";
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
  IDENTITY_KEY,
  type IdentityKey,
  inject,
  LOGGER,
  type Logger,
  ProtocolError,
  type Reply,
  reply,
  SESSION_STORE,
  type ServerConfig,
  type SessionStore,
  StoreUnavailableError,
  TokenBucket,
} from "../../core/index.js";
import { STORM_LOG_INTERVAL_MS, type ThrottledLog, throttledWarn } from "../../core/log/throttled-log.js";
import { HandshakeOk, HandshakeRequest } from "../../core/protocol/index.js";
import {
  CLIENT_TEXT_MAX_BYTES,
  DEVICE_ID_MAX_BYTES,
  requireBytes,
  requireText,
} from "../../core/session/field-rules.js";
import { handshakeReplyParts, signedHandshakeOk } from "./handshake-reply.js";

const CHAIN_ID_BYTES = 16;

/**
 * Full handshake: ephemeral X25519 for forward secrecy, the server's Ed25519
 * signature over the transcript for authentication, a resumable session
 * written to the store before the reply leaves (so any node can resume it at
 * once). The keys switch on after HandshakeOk; the session is set on the
 * connection once that reply is written.
 *
 * The new session starts a chain that becomes the device's only resumable
 * one: sessions from the device's earlier handshakes stop resuming.
 *
 * If the store is down the handshake still succeeds, with an empty session
 * id: the client is served, it just cannot resume this session.
 *
 * Past handshakesPerSecond (when set) it answers OVERLOADED having done
 * nothing, and the client backs off; resumes are not limited.
 */
@Handles(Command.HANDSHAKE, { request: HandshakeRequest, access: "public", boundsItself: true })
export class HandshakeHandler implements CommandHandler<HandshakeRequest> {
  constructor(
    @inject(IDENTITY_KEY) private readonly identity: IdentityKey,
    @inject(SESSION_STORE) private readonly sessions: SessionStore,
    @inject(HEARTBEAT_POLICY) private readonly heartbeat: HeartbeatPolicy,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(CONFIG) config: ServerConfig,
    @inject(LOGGER) log: Logger,
  ) {
    // Once per request during an outage, and an outage brings a reconnect storm.
    this.storeDown = throttledWarn(log, STORM_LOG_INTERVAL_MS);
    this.overloaded = throttledWarn(log, STORM_LOG_INTERVAL_MS);
    const rate = config.handshakesPerSecond;
    this.admission = rate > 0 ? new TokenBucket(rate, rate, clock.steady()) : undefined;
  }

  private readonly storeDown: ThrottledLog;
  private readonly overloaded: ThrottledLog;
  /** Bounds the costly path (X25519, Ed25519, a store write), so a storm of them cannot starve resumes. */
  private readonly admission: TokenBucket | undefined;

  async handle(request: HandshakeRequest, context: HandlerContext): Promise<Reply> {
    if (context.connection.session) {
      throw new ProtocolError(ErrorCode.REPEAT_HANDSHAKE, "this connection already has a session");
    }
    requireText("device_id", request.deviceId, DEVICE_ID_MAX_BYTES, true);
    requireText("os_name", request.osName, CLIENT_TEXT_MAX_BYTES);
    requireText("os_version", request.osVersion, CLIENT_TEXT_MAX_BYTES);
    requireText("client_version", request.clientVersion, CLIENT_TEXT_MAX_BYTES);
    requireBytes("client_nonce", request.clientNonce, NONCE_LENGTH);
    requireBytes("client_share", request.clientShare, X25519_KEY_LENGTH);
    const heartbeatMs = this.heartbeat.negotiate({ minMs: request.minHeartbeatMs, maxMs: request.maxHeartbeatMs });
    // After the cheap checks, so malformed requests spend none of the rate.
    if (this.admission !== undefined && !this.admission.take(this.clock.steady())) {
      this.overloaded({ connection: context.connection.id }, "handshake refused: over handshakesPerSecond");
      throw new ProtocolError(ErrorCode.OVERLOADED, "over the server's handshake rate; retry after a backoff");
    }

    const ephemeral = generateEphemeral();
    let shared: Buffer;
    try {
      shared = x25519(ephemeral.privateKey, request.clientShare);
    } catch (cause) {
      throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, "client_share is not a usable X25519 public key", { cause });
    }
    const now = this.clock.now();
    const serverNonce = pooledRandomBytes(NONCE_LENGTH);
    const parts = (sessionId: string, expiresAtMs: number) =>
      handshakeReplyParts(context.body, shared, {
        serverNonce,
        serverShare: ephemeral.publicKey,
        sessionId,
        expiresAtMs,
        heartbeatMs,
        serverTimeMs: now,
      });

    const allocation = this.sessions.allocate(now);
    let flight = parts(allocation?.id ?? "", allocation?.expiresAtMs ?? 0);
    let sessionId = allocation?.id;
    if (allocation) {
      const chainId = pooledRandomBytes(CHAIN_ID_BYTES).toString("base64url");
      try {
        await this.sessions.save(allocation.id, {
          deviceId: request.deviceId,
          osName: request.osName,
          osVersion: request.osVersion,
          clientVersion: request.clientVersion,
          heartbeatMs,
          sessionSecret: flight.secrets.sessionSecret,
          createdAtMs: now,
          expiresAtMs: allocation.expiresAtMs,
          chainId,
        });
        // A peer gone meanwhile never gets this session: superseding would only kill the one it kept.
        try {
          context.throwIfAborted();
        } catch (gone) {
          // Nobody can resume it (the peer never gets the server's share): it goes now, not at its TTL.
          // If the store fails this delete too, the record waits for its TTL as before.
          await this.sessions.delete(allocation.id).catch(() => false);
          throw gone;
        }
        // Only once the session exists: a full handshake supersedes the device's earlier sessions (a
        // copied session file stops working). Never before, or a handshake that degrades because the
        // store is slow could still supersede the session its client deliberately kept.
        await this.sessions.setActiveChain(request.deviceId, chainId);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        this.storeDown(
          { connection: context.connection.id, err: error },
          "session not stored; handshakes continue without resumption",
        );
        sessionId = undefined;
        flight = parts("", 0);
      }
    }
    return reply(HandshakeOk, signedHandshakeOk(this.identity, flight), {
      establish: {
        secrets: flight.secrets,
        session: {
          deviceId: request.deviceId,
          osName: request.osName,
          osVersion: request.osVersion,
          clientVersion: request.clientVersion,
          heartbeatMs,
          sessionId,
          expiresAt: sessionId ? (allocation?.expiresAtMs ?? 0) : 0,
          resumed: false,
        },
      },
    });
  }
}
