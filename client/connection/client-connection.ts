import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import type { TrafficKeys } from "../../core/crypto/key-schedule.js";
import { RecordCipher } from "../../core/crypto/record-cipher.js";
import { inflateBody } from "../../core/protocol/body-compression.js";
import { FrameDecoder } from "../../core/protocol/frame-decoder.js";
import { encodeFrame, heartbeatFrame } from "../../core/protocol/frame-encoder.js";
import { Command, ErrorReply, FrameFlag, HEARTBEAT_PACKET, type Packet } from "../../core/protocol/index.js";
import { hostPort } from "../../core/runtime/host-port.js";
import { ServerError } from "../errors.js";
import { emitToApplication } from "./application-events.js";

export interface RequestOptions {
  readonly timeoutMs?: number;
  /**
   * Runs synchronously when the reply arrives, before any later frame is
   * read: the place to switch keys, since the next frame may already be sealed.
   */
  readonly onReply?: (packet: Packet) => void;
}

/** How long a closing connection waits for the server's side of the close before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

interface Pending {
  readonly cmd: number;
  resolve(packet: Packet): void;
  reject(error: Error): void;
  onReply?: (packet: Packet) => void;
  timer: NodeJS.Timeout;
}

/**
 * One TCP connection from a client: the same frame codec and record layer
 * as the server, in the other roles. Replies are matched to requests by seq;
 * anything else (server pushes) is emitted as "packet"; "heartbeat" and
 * "close" likewise.
 */
export class ClientConnection extends EventEmitter {
  /** performance.now() ms, as lastWriteAt: steady, so setting the wall clock never makes a live connection look silent. */
  lastReadAt = performance.now();
  lastWriteAt = performance.now();
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  private outbound: RecordCipher | undefined;
  private inbound: RecordCipher | undefined;
  private seq = 0;
  private closed = false;
  /** Why the connection closed, for the errors of requests made after it. */
  private closeReason = "";

  private constructor(
    private readonly socket: Socket,
    private readonly maxBodyBytes: number,
  ) {
    super();
    this.decoder = new FrameDecoder(maxBodyBytes);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.shutdown(`socket error: ${error.message}`));
    // A close of our own has already shut down with its reason; any other close came from the peer or the network.
    socket.on("close", () => this.shutdown("the server closed the connection"));
  }

  /** `signal` gives up a connect still in flight: its socket and timer go at once, and it rejects with the reason. */
  static open(
    host: string,
    port: number,
    options: { timeoutMs?: number; maxBodyBytes?: number; signal?: AbortSignal } = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 5000;
    const { signal } = options;
    return new Promise<ClientConnection>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const socket = connect({ host, port });
      const fail = (error: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abandon);
        socket.destroy();
        reject(error);
      };
      const abandon = () => fail(signal?.reason);
      const timer = setTimeout(
        () => fail(new Error(`connect to ${hostPort(host, port)} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener("abort", abandon, { once: true });
      socket.once("error", (error) =>
        fail(new Error(`cannot connect to ${hostPort(host, port)}: ${error.message}`, { cause: error })),
      );
      socket.once("connect", () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abandon);
        socket.removeAllListeners("error");
        resolve(new ClientConnection(socket, options.maxBodyBytes ?? 64 * 1024));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get encrypted(): boolean {
    return this.outbound !== undefined;
  }

  /** Sends a request and resolves with the reply carrying its seq; an ERROR reply rejects with ServerError. */
  request(cmd: number, body: Uint8Array, options: RequestOptions = {}): Promise<Packet> {
    if (this.closed) return Promise.reject(this.closedError());
    const seq = this.nextSeq();
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<Packet>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new Error(`no reply to command ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(seq, { cmd, resolve, reject, onReply: options.onReply, timer });
      this.write(cmd, 0, seq, body);
    });
  }

  /** Sends a message that expects no reply; returns its seq. */
  send(cmd: number, body: Uint8Array, flags = 0): number {
    const seq = this.nextSeq();
    this.write(cmd, flags, seq, body);
    return seq;
  }

  sendHeartbeat(): void {
    if (this.closed) return;
    this.lastWriteAt = performance.now();
    this.socket.write(heartbeatFrame());
  }

  installKeys(keys: TrafficKeys): void {
    this.outbound = new RecordCipher(keys.clientToServer);
    this.inbound = new RecordCipher(keys.serverToClient);
  }

  /**
   * Flushes and sends FIN. The promise settles once the socket is fully closed
   * (the server closed its side too), for callers that must not overlap
   * connections; ignoring it is fine. A peer that never closes its side (a
   * hung server, a dead path) does not keep the socket: it is destroyed after
   * CLOSE_GRACE_MS, and the promise then says false.
   */
  close(): Promise<boolean> {
    const socket = this.socket;
    if (socket.closed) {
      this.shutdown("closed by client");
      return Promise.resolve(true);
    }
    let forced = false;
    const grace = setTimeout(() => {
      forced = true;
      socket.destroy();
    }, CLOSE_GRACE_MS);
    grace.unref();
    const closed = new Promise<boolean>((resolve) =>
      socket.once("close", () => {
        clearTimeout(grace);
        resolve(!forced);
      }),
    );
    socket.end();
    this.shutdown("closed by client");
    return closed;
  }

  private write(cmd: number, flags: number, seq: number, body: Uint8Array): void {
    if (this.closed) throw this.closedError();
    this.lastWriteAt = performance.now();
    this.socket.write(this.outbound ? this.outbound.seal(cmd, flags, seq, body) : encodeFrame(cmd, flags, seq, body));
  }

  /** 1 to 2^31-1: the top bit belongs to server-initiated messages. */
  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0x7fff_ffff || 1;
    return this.seq;
  }

  private receive(chunk: Buffer): void {
    this.lastReadAt = performance.now();
    try {
      this.decoder.push(chunk, (packet) => this.onPacket(packet));
    } catch (error) {
      this.socket.destroy();
      this.shutdown(`protocol error from server: ${(error as Error).message}`);
    }
  }

  private onPacket(raw: Packet): void {
    if (raw === HEARTBEAT_PACKET) {
      emitToApplication(this, "heartbeat");
      return;
    }
    // Before the switch the server sends nothing but the clear reply to the request in hand: anyone on
    // the path could forge anything else, and the application would take it for a push.
    if (this.inbound === undefined && ((raw.flags & FrameFlag.ENCRYPTED) !== 0 || !this.pending.has(raw.seq))) {
      throw new Error(`unexpected frame before the session was established (cmd ${raw.cmd}, seq ${raw.seq})`);
    }
    let packet: Packet = this.inbound
      ? { ...raw, flags: raw.flags & ~FrameFlag.ENCRYPTED, body: this.inbound.open(raw) }
      : { ...raw, body: Buffer.from(raw.body) };
    if ((packet.flags & FrameFlag.COMPRESSED) !== 0) {
      packet = {
        ...packet,
        flags: packet.flags & ~FrameFlag.COMPRESSED,
        body: inflateBody(packet.body, this.maxBodyBytes),
      };
    }
    const waiting = this.pending.get(packet.seq);
    if (waiting === undefined) {
      emitToApplication(this, "packet", packet);
      return;
    }
    this.pending.delete(packet.seq);
    clearTimeout(waiting.timer);
    // Whatever this frame holds, the request settles here: its timer is gone.
    if (packet.cmd === Command.ERROR) {
      waiting.reject(serverError(packet.body, waiting.cmd));
      return;
    }
    try {
      waiting.onReply?.(packet);
      waiting.resolve(packet);
    } catch (error) {
      waiting.reject(error as Error);
    }
  }

  private closedError(): Error {
    return new Error(`connection is closed: ${this.closeReason}`);
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    for (const [, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error(`connection lost before the reply: ${reason}`));
    }
    this.pending.clear();
    emitToApplication(this, "close", reason);
  }
}

/** The ERROR frame as a ServerError, or why it could not be read (a forger on the path can send anything). */
function serverError(body: Uint8Array, requestCmd: number): Error {
  try {
    const error = ErrorReply.decode(body);
    return new ServerError(error.command, error.code, error.reason);
  } catch (cause) {
    return new Error(`malformed ERROR reply to command ${requestCmd}`, { cause });
  }
}
