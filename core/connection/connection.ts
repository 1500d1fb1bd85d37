import type { SessionContext } from "../session/session-context.js";

/**
 * One client connection, whatever carries it. Handlers and plugins see this;
 * framing, sealing and queueing stay behind it.
 */
export interface Connection {
  /** Unique within this server process. */
  readonly id: string;
  /** "tcp" today; a WebSocket transport will say "ws". */
  readonly transport: string;
  readonly remoteAddress: string;
  /** Steady-clock ms (Clock.steady), like lastReadAt: for durations, not for dates. */
  readonly openedAt: number;
  /** When the last inbound byte arrived (any byte counts as liveness), in steady-clock ms. */
  readonly lastReadAt: number;
  /** Set once HANDSHAKE or FAST_CONNECT succeeded and its reply was written. */
  readonly session: SessionContext | undefined;
  readonly isOpen: boolean;
  /** Sends one frame (sealed when the session has keys). `onWritten` fires once the transport took it, or failed to. */
  send(cmd: number, flags: number, seq: number, body: Uint8Array, onWritten?: (error?: Error | null) => void): void;
  sendHeartbeat(): void;
  /** A fresh seq for a server-initiated message (push, kick): top bit set, so it never matches a client request. */
  nextSeq(): number;
  /** Flushes what is queued (and the reply to a packet being handled), then closes. */
  close(reason: string): void;
}

/**
 * A byte pipe under a Connection: TCP now, a WebSocket later. The transport
 * feeds inbound bytes to `onData` and reports its end to `onClose`.
 */
export interface ByteTransport {
  readonly kind: string;
  readonly remoteAddress: string;
  /** Bytes accepted by write() and not yet handed to the OS. */
  readonly bufferedBytes: number;
  write(data: Buffer, onWritten?: (error?: Error | null) => void): void;
  /** Holds writes until uncork(), then hands them to the OS together: one call for every reply to one read. */
  cork(): void;
  uncork(): void;
  pause(): void;
  resume(): void;
  /** Calls `callback` once buffered bytes have drained. */
  onceDrained(callback: () => void): void;
  /** Flush, then close. */
  end(): void;
  /** Close now, dropping anything unsent. */
  destroy(): void;
}
