import type { Socket } from "node:net";
import { hostPort } from "../runtime/host-port.js";
import type { ByteTransport } from "./connection.js";

const EMPTY = Buffer.alloc(0);

/** What a transport reports to: the connection it carries. */
export interface TransportEvents {
  receive(chunk: Buffer): void;
  transportClosed(reason: string): void;
}

/** Kept on the socket itself for the listeners below, which all sockets share. */
const EVENTS = Symbol("mpush.transportEvents");
const ERROR = Symbol("mpush.socketError");
type CarryingSocket = Socket & { [EVENTS]?: TransportEvents; [ERROR]?: Error };

function onData(this: CarryingSocket, chunk: Buffer): void {
  this[EVENTS]?.receive(chunk);
}

function onError(this: CarryingSocket, error: Error): void {
  this[ERROR] = error;
}

function onClose(this: CarryingSocket): void {
  const error = this[ERROR];
  this[EVENTS]?.transportClosed(error ? `socket error: ${error.message}` : "peer closed");
}

/**
 * node:net socket as a ByteTransport; nothing protocol-specific lives here.
 * Its listeners are shared functions that find what they need on the socket,
 * so a connection carries no closures for them.
 */
export class TcpTransport implements ByteTransport {
  readonly kind = "tcp";
  private peer: string | undefined;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
  }

  /**
   * Asked for on demand (a log line, a plugin): most connections never are, and
   * each first ask is a getpeername call. Node keeps the answer, so it stays
   * known after the socket closes once asked.
   */
  get remoteAddress(): string {
    this.peer ??=
      this.socket.remoteAddress === undefined
        ? undefined
        : hostPort(this.socket.remoteAddress, this.socket.remotePort ?? 0);
    return this.peer ?? "unknown";
  }

  attach(events: TransportEvents): void {
    const socket = this.socket as CarryingSocket;
    socket[EVENTS] = events;
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  write(data: Buffer, onWritten?: (error?: Error | null) => void): void {
    if (this.socket.destroyed || this.socket.writableEnded) {
      onWritten?.(new Error("socket is closed"));
      return;
    }
    this.socket.write(data, onWritten);
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  onceDrained(callback: () => void): void {
    const socket = this.socket;
    // Nothing will drain a socket that is ending or gone; its close comes instead. Calling back
    // here would have the caller ask again at once, every tick, and never let that close arrive.
    if (socket.destroyed || socket.writableEnded) return;
    // Node says "drain" only after a write found its 16 KiB high-water mark reached, so a lower
    // outbound limit would wait for it forever. An empty write's callback runs once everything
    // written before it has been handed to the OS, whatever the mark.
    if (socket.writableNeedDrain) socket.once("drain", callback);
    else
      socket.write(EMPTY, (error) => {
        if (!error) callback();
      });
  }

  end(): void {
    // Flush what is queued, then release the descriptor without waiting for the peer's FIN.
    this.socket.end(() => this.socket.destroy());
  }

  destroy(): void {
    this.socket.destroy();
  }
}
