import "reflect-metadata";
import { pino } from "pino";
import { DEFAULT_CONFIG, type ServerConfig } from "../../core/config/config.js";
import type { ByteTransport } from "../../core/connection/connection.js";
import { type ConnectionLifecycle, ServerConnection } from "../../core/connection/server-connection.js";
import type { CommandHandler } from "../../core/dispatch/command-handler.js";
import { Dispatcher } from "../../core/dispatch/dispatcher.js";
import type { HandlerDeadline } from "../../core/dispatch/handler-deadline.js";
import { HandlerRegistry } from "../../core/dispatch/handler-registry.js";
import type { Logger } from "../../core/log/logger.js";
import { FrameDecoder } from "../../core/protocol/frame-decoder.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import type { Packet } from "../../core/protocol/packet.js";
import type { Clock } from "../../core/runtime/clock.js";
import type { SessionContext } from "../../core/session/session-context.js";

/**
 * A ByteTransport in memory. What the server writes is decoded back into
 * packets (0xDF arrives as cmd 1); pause/resume, end/destroy and the buffered
 * byte count are observable and settable. Closing is asynchronous, as with a
 * socket: end() and destroy() report to `onClose` on a later microtask.
 */
export class MemoryTransport implements ByteTransport {
  readonly kind = "memory";
  readonly remoteAddress = "memory";
  readonly packets: Packet[] = [];
  /** write() calls, each one a chunk queued on a real socket. */
  writes = 0;
  corks = 0;
  uncorks = 0;
  bufferedBytes = 0;
  paused = false;
  pauses = 0;
  ended = false;
  destroyed = false;
  closed = false;
  onClose: (reason: string) => void = () => {};
  private readonly decoder = new FrameDecoder(16 * 1024 * 1024);
  private drainWaiters: (() => void)[] = [];
  private waiters: (() => void)[] = [];

  write(data: Buffer, onWritten?: (error?: Error | null) => void): void {
    if (this.ended || this.destroyed) {
      queueMicrotask(() => onWritten?.(new Error("transport is closed")));
      return;
    }
    this.writes++;
    this.decoder.push(data, (p) => this.packets.push({ ...p, body: Buffer.from(p.body) }));
    this.wake();
    queueMicrotask(() => onWritten?.(null));
  }

  /** Writes land at once here; the calls are counted so a test can see batches. */
  cork(): void {
    this.corks++;
  }

  uncork(): void {
    this.uncorks++;
  }

  pause(): void {
    this.paused = true;
    this.pauses++;
  }

  resume(): void {
    this.paused = false;
  }

  onceDrained(callback: () => void): void {
    this.drainWaiters.push(callback);
  }

  /** Simulates the OS taking every buffered byte. */
  drain(): void {
    this.bufferedBytes = 0;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  end(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    queueMicrotask(() => this.finish("ended"));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    queueMicrotask(() => this.finish("destroyed"));
  }

  /** The next unread packet the server wrote. */
  async next(): Promise<Packet> {
    await this.until(() => this.packets.length > 0 || this.closed);
    const packet = this.packets.shift();
    if (!packet) throw new Error("transport closed before a packet was written");
    return packet;
  }

  async waitClosed(): Promise<void> {
    await this.until(() => this.closed);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(reason);
    this.wake();
  }

  private until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (condition()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** What the connection reported to its server. */
export class RecordingLifecycle implements ConnectionLifecycle {
  readonly establishedWith: SessionContext[] = [];
  readonly closedWith: string[] = [];
  readonly violations: Error[] = [];
  closings = 0;

  established(_connection: ServerConnection, session: SessionContext): void {
    this.establishedWith.push(session);
  }

  closing(): void {
    this.closings++;
  }

  closed(_connection: ServerConnection, reason: string): void {
    this.closedWith.push(reason);
  }

  violated(_connection: ServerConnection, error: Error): void {
    this.violations.push(error);
  }
}

export type TestConfig = Pick<
  ServerConfig,
  | "maxBodyBytes"
  | "compressThresholdBytes"
  | "unknownCommand"
  | "maxErrorsBeforeSession"
  | "maxQueuedFrames"
  | "maxOutboundBytes"
>;

export const TEST_CONFIG: TestConfig = {
  maxBodyBytes: 64 * 1024,
  compressThresholdBytes: 10 * 1024,
  unknownCommand: "reply",
  maxErrorsBeforeSession: DEFAULT_CONFIG.maxErrorsBeforeSession,
  maxQueuedFrames: 32,
  maxOutboundBytes: 1024 * 1024,
};

export interface MemoryConnection {
  readonly connection: ServerConnection;
  readonly transport: MemoryTransport;
  readonly lifecycle: RecordingLifecycle;
  readonly registry: HandlerRegistry;
  /** Feeds one frame to the connection as if it arrived from the peer. */
  send(cmd: number, seq: number, body?: Uint8Array, flags?: number): void;
  /** Feeds raw bytes. */
  receive(bytes: Uint8Array | number[]): void;
}

/**
 * A real ServerConnection + Dispatcher + HandlerRegistry over a MemoryTransport,
 * with the given handler instances (each must carry @Handles).
 */
export function memoryConnection(
  handlers: readonly CommandHandler<never>[],
  options: { config?: Partial<TestConfig>; log?: Logger; clock?: Clock; deadline?: HandlerDeadline } = {},
): MemoryConnection {
  const config = { ...TEST_CONFIG, ...options.config };
  const registry = new HandlerRegistry();
  for (const handler of handlers) registry.add(handler as CommandHandler<unknown>);
  const dispatcher = new Dispatcher(registry, config, options.log ?? pino({ level: "silent" }), options.deadline);
  const transport = new MemoryTransport();
  const lifecycle = new RecordingLifecycle();
  const connection = new ServerConnection(
    "m1",
    transport,
    dispatcher,
    lifecycle,
    config,
    options.clock ?? { now: () => Date.now(), steady: () => Date.now() },
  );
  transport.onClose = (reason) => connection.transportClosed(reason);
  return {
    connection,
    transport,
    lifecycle,
    registry,
    send: (cmd, seq, body = Buffer.alloc(0), flags = 0) => connection.receive(encodeFrame(cmd, flags, seq, body)),
    receive: (bytes) => connection.receive(Buffer.from(bytes)),
  };
}
