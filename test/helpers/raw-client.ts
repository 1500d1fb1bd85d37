import { connect, type Socket } from "node:net";
import { FrameDecoder } from "../../core/protocol/frame-decoder.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import type { Packet } from "../../core/protocol/packet.js";

/**
 * A bare TCP peer for end-to-end tests: writes raw bytes or frames, and
 * collects what the server sends back as packets (0xDF arrives as cmd 1).
 */
export class RawClient {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(16 * 1024 * 1024);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.decoder.push(chunk, (p) => this.packets.push({ ...p, body: Buffer.from(p.body) }));
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawClient(socket)));
      socket.once("error", reject);
    });
  }

  write(bytes: Uint8Array | number[]): void {
    this.socket.write(Buffer.from(bytes));
  }

  writeFrame(cmd: number, seq: number, body: Uint8Array = Buffer.alloc(0), flags = 0): void {
    this.socket.write(encodeFrame(cmd, flags, seq, body));
  }

  /** Resolves with the next unread packet; rejects on close or after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<Packet> {
    await this.until(() => this.packets.length > 0 || this.closed, timeoutMs);
    const packet = this.packets.shift();
    if (!packet) throw new Error("connection closed before a packet arrived");
    return packet;
  }

  /** Resolves once the server closed the connection; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 2000): Promise<void> {
    await this.until(() => this.closed, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private until(condition: () => boolean, timeoutMs: number): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (!condition()) {
          this.waiters.push(check);
          return;
        }
        clearTimeout(timer);
        resolve();
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

/** Opens raw peers on `port` that the test closes when it ends. */
export function rawOpener(t: { teardown(fn: () => void): void }, port: number): () => Promise<RawClient> {
  return async () => {
    const raw = await RawClient.open(port);
    t.teardown(() => raw.close());
    return raw;
  };
}
