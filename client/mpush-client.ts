import { EventEmitter } from "node:events";
import { PinnedServerKey } from "../core/crypto/pinned-server-key.js";
import { Command, ErrorCode, type Packet } from "../core/protocol/index.js";
import { checkOptions, type MPushClientOptions } from "./client-options.js";
import { emitToApplication } from "./connection/application-events.js";
import { backoffDelay, DEFAULT_BACKOFF } from "./connection/backoff.js";
import { ClientConnection } from "./connection/client-connection.js";
import { keepAlive } from "./connection/heartbeat-keeper.js";
import { PendingEvents } from "./connection/pending-events.js";
import { ServerError, SessionStorageError, VerificationError } from "./errors.js";
import { startFastConnect } from "./flows/fast-connect-flow.js";
import {
  type EstablishedSession,
  type HandshakeSession,
  type HeartbeatWish,
  startHandshake,
} from "./flows/handshake-flow.js";
import { type ClientSession, MemorySessionStorage, type SessionStorage } from "./session/client-session.js";
import { StorageCalls, StorageQueue } from "./session/storage-calls.js";

interface OpenedSession {
  readonly connection: ClientConnection;
  readonly outcome: ConnectOutcome;
  readonly pending: PendingEvents;
}

export interface ConnectOutcome {
  readonly outcome: "handshake" | "fast_connect";
  /** Undefined when the server could not store the session. */
  readonly sessionId: string | undefined;
  readonly heartbeatMs: number;
  /** Set when a resume was tried and refused: the ErrorCode name ("SESSION_EXPIRED", ...). */
  readonly fastConnectError?: string;
  /** Set when the storage failed; the session is connected all the same and kept in memory. */
  readonly storageError?: SessionStorageError;
}

/** FAST_CONNECT refusals after which the stored session is still good. */
const KEEPS_SESSION = new Set<number>([ErrorCode.STORE_UNAVAILABLE, ErrorCode.REPLAYED]);

/** A stored session is not offered when it expires within this margin. */
const EXPIRY_MARGIN_MS = 5000;

/**
 * A TypeScript client. connect() makes one attempt: resume the stored session
 * with FAST_CONNECT, fall back to HANDSHAKE on the same connection when the
 * server refuses, keep the session in `storage`, then heartbeat. start() keeps
 * the client connected, reconnecting with backoff and jitter.
 *
 * Events: "established" (ConnectOutcome), "packet" (Packet pushed by the
 * server), "disconnected" (reason), "error" (Error, for each failed attempt;
 * after one that retrying soon cannot cure — the server's identity did not
 * verify — the next attempt waits the longest backoff; or a
 * SessionStorageError, when the storage failed but the session is up). A listener that
 * throws changes nothing in the client; its error comes back as an uncaught
 * exception.
 */
export class MPushClient extends EventEmitter {
  private readonly serverKeys: readonly PinnedServerKey[];
  private readonly storage: SessionStorage;
  private readonly wish: HeartbeatWish;
  private connection: ClientConnection | undefined;
  /** Stops the heartbeats of the adopted connection. */
  private stopHeartbeats: () => void = () => {};
  private reconnectTimer: NodeJS.Timeout | undefined;
  private running = false;
  private attempt = 0;
  /** Bumped by start() and close(): an attempt begun under an older value is abandoned. */
  private generation = 0;
  /** The latest session while the storage has failed to save it: resumes use it, not the stale stored one. */
  private unsaved: ClientSession | undefined;
  /** Every storage call of this client, one after another, so a late one never lands after a newer one. */
  private readonly storageQueue = new StorageQueue();
  /** Settles when the latest connection attempt has. */
  private attempts: Promise<void> = Promise.resolve();
  /** The TCP connect of the attempt in flight, for close() to give up. */
  private connecting: AbortController | undefined;
  /** The connection the attempt in flight is establishing a session on, for close() to cut short. */
  private opening: ClientConnection | undefined;

  constructor(private readonly options: MPushClientOptions) {
    super();
    this.serverKeys = [options.serverKey].flat().flatMap((input) => PinnedServerKey.all(input));
    if (this.serverKeys.length === 0) throw new RangeError("serverKey: no key given");
    this.storage = options.storage ?? new MemorySessionStorage();
    this.wish = { minHeartbeatMs: options.heartbeat?.minMs ?? 0, maxHeartbeatMs: options.heartbeat?.maxMs ?? 240_000 };
    checkOptions(options, this.wish);
  }

  get isConnected(): boolean {
    return this.connection?.isOpen === true && this.connection.encrypted;
  }

  /**
   * One attempt: open, then resume or handshake. Rejects when no session could
   * be established, or when close() came while it was in flight. A connection
   * this client already held is closed in favour of the new one.
   */
  async connect(): Promise<ConnectOutcome> {
    const generation = this.generation;
    const opened = await this.openSession(() => generation === this.generation);
    if (opened === undefined) throw new Error("client closed or restarted while connecting");
    const { connection, outcome, pending } = opened;
    if (generation !== this.generation) {
      // close() (or start()) came meanwhile: its session stays stored, the connection goes.
      pending.stop();
      connection.close();
      throw new Error("client closed or restarted while connecting");
    }
    this.adopt(connection, outcome.heartbeatMs, pending)();
    return outcome;
  }

  /** Stays connected until close(): reconnects after every loss, with backoff. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    void this.tryConnect(++this.generation);
  }

  /** Sends a message that expects no reply; returns its seq. */
  send(cmd: number, body: Uint8Array, flags = 0): number {
    return this.requireConnection().send(cmd, body, flags);
  }

  /**
   * Sends a request and resolves with its reply. An ERROR rejects with
   * ServerError; not being connected, a dropped connection or no reply in
   * time reject with a plain Error.
   */
  request(cmd: number, body: Uint8Array): Promise<Packet> {
    try {
      return this.requireConnection().request(cmd, body, { timeoutMs: this.options.requestTimeoutMs });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async close(): Promise<void> {
    this.running = false;
    this.generation++;
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeats();
    this.connection?.close();
    this.connection = undefined;
    // An attempt in flight fails at once rather than at its timeouts: later attempts wait for it.
    this.connecting?.abort(new Error("client closed while connecting"));
    this.opening?.close();
  }

  /**
   * Opens a connection and establishes a session on it, without adopting it.
   * Attempts run one after another (a connect() during start()'s attempt
   * waits for it): two at once would resume one session twice, and the loser,
   * refused, would clear the session the winner had just saved. Resolves to
   * nothing when `wanted()` says the attempt became moot (close(), or a
   * connection taken on meanwhile) before it opened.
   */
  private openSession(wanted: () => boolean): Promise<OpenedSession | undefined> {
    const attempt = this.attempts.then(() => (wanted() ? this.openSessionNow(wanted) : undefined));
    this.attempts = attempt.then(
      () => undefined,
      () => undefined,
    );
    return attempt;
  }

  private async openSessionNow(wanted: () => boolean): Promise<OpenedSession | undefined> {
    const { host, port } = this.options;
    const connecting = new AbortController();
    this.connecting = connecting;
    let connection: ClientConnection;
    try {
      connection = await ClientConnection.open(host, port, {
        timeoutMs: this.options.connectTimeoutMs,
        signal: connecting.signal,
      });
    } finally {
      if (this.connecting === connecting) this.connecting = undefined;
    }
    if (!wanted()) {
      connection.close();
      return undefined;
    }
    const pending = new PendingEvents(connection);
    this.opening = connection;
    try {
      return { connection, outcome: await this.establish(connection), pending };
    } catch (error) {
      pending.stop();
      connection.close();
      throw error;
    } finally {
      if (this.opening === connection) this.opening = undefined;
    }
  }

  private async establish(connection: ClientConnection): Promise<ConnectOutcome> {
    const storage = new StorageCalls(
      this.storage,
      this.storageQueue,
      this.options.storageTimeoutMs ?? STORAGE_TIMEOUT_MS,
    );
    const stored = this.unsaved ?? (await storage.load());
    let fastConnectError: string | undefined;
    if (stored && this.usable(stored)) {
      try {
        const session = await this.fastConnect(connection, stored);
        // A resume involves no server signature: the session stays with the key that made it.
        await this.persist(storage, session, stored.serverFingerprint);
        return this.outcome(storage, {
          outcome: "fast_connect",
          sessionId: session.sessionId,
          heartbeatMs: session.heartbeatMs,
        });
      } catch (error) {
        if (!(error instanceof ServerError)) throw error;
        fastConnectError = error.codeName;
        // A store outage or a stale request says nothing against the session: keep it for the next attempt.
        if (!KEEPS_SESSION.has(error.code)) {
          this.unsaved = undefined;
          await storage.clear();
        }
      }
    }
    const session = await this.handshake(connection);
    if (session.sessionId !== "") await this.persist(storage, session, session.serverFingerprint);
    return this.outcome(storage, {
      outcome: "handshake",
      sessionId: session.sessionId || undefined,
      heartbeatMs: session.heartbeatMs,
      ...(fastConnectError ? { fastConnectError } : {}),
    });
  }

  /** A storage failure is reported, never fatal: the session is up either way. */
  private outcome(storage: StorageCalls, outcome: ConnectOutcome): ConnectOutcome {
    const storageError = storage.failure;
    if (storageError === undefined) return outcome;
    if (this.listenerCount("error") > 0) emitToApplication(this, "error", storageError);
    return { ...outcome, storageError };
  }

  private async fastConnect(connection: ClientConnection, stored: ClientSession): Promise<EstablishedSession> {
    const ticket = {
      sessionId: stored.sessionId,
      sessionSecret: Buffer.from(stored.sessionSecret, "base64"),
      deviceId: this.options.device.deviceId,
    };
    const flow = startFastConnect(ticket, this.wish, Date.now() + stored.clockOffsetMs);
    return this.exchange(connection, Command.FAST_CONNECT, flow);
  }

  private handshake(connection: ClientConnection): Promise<HandshakeSession> {
    return this.exchange(
      connection,
      Command.HANDSHAKE,
      startHandshake(this.options.device, this.wish, this.serverKeys),
    );
  }

  private async exchange<S extends EstablishedSession>(
    connection: ClientConnection,
    cmd: number,
    flow: { body: Buffer; finish(body: Uint8Array): S },
  ): Promise<S> {
    let session: S | undefined;
    await connection.request(cmd, flow.body, {
      timeoutMs: this.options.requestTimeoutMs,
      onReply: (packet) => {
        session = flow.finish(packet.body);
        connection.installKeys(session.secrets.traffic);
      },
    });
    if (!session) throw new Error("no session established");
    return session;
  }

  private usable(stored: ClientSession): boolean {
    return (
      stored.sessionId !== "" &&
      this.serverKeys.some((key) => key.fingerprint === stored.serverFingerprint) &&
      stored.expiresAtMs > Date.now() + stored.clockOffsetMs + EXPIRY_MARGIN_MS
    );
  }

  private async persist(storage: StorageCalls, session: EstablishedSession, serverFingerprint: string): Promise<void> {
    const record: ClientSession = {
      sessionId: session.sessionId,
      sessionSecret: session.secrets.sessionSecret.toString("base64"),
      deviceId: this.options.device.deviceId,
      expiresAtMs: session.expiresAtMs,
      heartbeatMs: session.heartbeatMs,
      serverFingerprint,
      clockOffsetMs: session.serverTimeMs - Date.now(),
    };
    this.unsaved = (await storage.save(record)) ? undefined : record;
  }

  /**
   * Takes the connection on, or throws if it closed while the session was
   * being saved (after delivering the pushes that came before the close).
   * Returns what delivers the pushes that came meanwhile, for the caller to
   * run once it has announced the connection.
   * Heartbeats it as keepAlive() says.
   */
  private adopt(connection: ClientConnection, negotiatedMs: number, pending: PendingEvents): () => void {
    pending.stop();
    if (pending.closeReason !== undefined) {
      // What arrived before the close arrived whole: the server counts it as delivered.
      for (const packet of pending.packets) emitToApplication(this, "packet", packet);
      throw new Error(`connection lost while the session was being saved: ${pending.closeReason}`);
    }
    const previous = this.connection;
    this.connection = connection;
    // A reconnect start() had scheduled is moot now: connect() got there first.
    clearTimeout(this.reconnectTimer);
    // Its close is no loss to report: lost() ignores a connection that is no longer the current one.
    if (previous !== undefined && previous !== connection) previous.close();
    connection.on("packet", (packet: Packet) => emitToApplication(this, "packet", packet));
    connection.on("close", (reason: string) => this.lost(connection, reason));
    this.stopHeartbeats();
    this.stopHeartbeats = keepAlive(connection, negotiatedMs);
    return () => {
      for (const packet of pending.packets) emitToApplication(this, "packet", packet);
    };
  }

  private lost(connection: ClientConnection, reason: string): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.stopHeartbeats();
    emitToApplication(this, "disconnected", reason);
    if (this.running) this.scheduleReconnect();
  }

  private async tryConnect(generation: number): Promise<void> {
    const current = () => this.running && generation === this.generation;
    // connect() may have got there first: start() only keeps a connection, it never replaces one.
    if (!current() || this.isConnected) return;
    try {
      // A connect() that ran meanwhile may have left nothing to do.
      const opened = await this.openSession(() => current() && !this.isConnected);
      if (opened === undefined) return;
      const { connection, outcome, pending } = opened;
      if (!current() || this.isConnected) {
        // close(), a new start() or a connect() came while this attempt was in flight: its session stays stored, the connection goes.
        pending.stop();
        connection.close();
        return;
      }
      const deliverPending = this.adopt(connection, outcome.heartbeatMs, pending);
      this.attempt = 0;
      emitToApplication(this, "established", outcome);
      deliverPending();
    } catch (error) {
      if (!current() || this.isConnected) return;
      if (this.listenerCount("error") > 0) emitToApplication(this, "error", error);
      // Never give up for good: a forged reply would then silence the client forever. Wait the longest instead.
      this.scheduleReconnect(isPersistentFailure(error));
    }
  }

  private scheduleReconnect(longest = false): void {
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    const delay = backoffDelay(policy, longest ? Number.POSITIVE_INFINITY : this.attempt++);
    const generation = this.generation;
    this.reconnectTimer = setTimeout(() => void this.tryConnect(generation), delay);
  }

  private requireConnection(): ClientConnection {
    if (!this.connection?.isOpen) throw new Error("not connected");
    return this.connection;
  }
}

const STORAGE_TIMEOUT_MS = 5000;
/**
 * Failures that retrying soon will not cure: the server's identity did not
 * verify, or it refused the HANDSHAKE's content. MPush's client stops; this
 * one retries at the longest backoff.
 */
function isPersistentFailure(error: unknown): boolean {
  if (error instanceof VerificationError) return true;
  return (
    error instanceof ServerError &&
    error.command === Command.HANDSHAKE &&
    (error.code === ErrorCode.INVALID_ARGUMENT || error.code === ErrorCode.MALFORMED_BODY)
  );
}
