import { FrameTooLargeError, ReservedFlagsError } from "../errors/frame-errors.js";
import { unpooled } from "../runtime/unpooled.js";
import { HEADER_LENGTH, HEARTBEAT_BYTE, HEARTBEAT_PACKET, KNOWN_FLAGS, type Packet } from "./packet.js";

const EMPTY = Buffer.alloc(0);

/**
 * Turns a byte stream into packets. Not safe for concurrent use; one per connection.
 *
 * Contract: `push` calls `sink` once per complete packet, in order, and throws a
 * FrameError as soon as the stream cannot be framed. The length limit is checked
 * when the first four header bytes arrive, before any body byte is buffered, and
 * a body is buffered into one allocation of exactly its length, so memory per
 * connection never exceeds the limit plus one header. After a throw the decoder
 * must be discarded.
 */
export class FrameDecoder {
  private header: Buffer | undefined;
  private headerFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  private cmd = 0;
  private flags = 0;
  private seq = 0;
  private length = 0;

  constructor(private readonly maxBodyBytes: number) {}

  /** Bytes held for an incomplete frame, its header included once the body is awaited. */
  get buffered(): number {
    return this.body === undefined ? this.headerFill : HEADER_LENGTH + this.bodyFill;
  }

  push(chunk: Buffer, sink: (packet: Packet) => void): void {
    let offset = 0;
    const end = chunk.length;
    while (offset < end) {
      if (this.body !== undefined) {
        offset = this.fillBody(chunk, offset, sink);
        continue;
      }
      if (this.headerFill === 0) {
        if (chunk[offset] === HEARTBEAT_BYTE) {
          offset++;
          sink(HEARTBEAT_PACKET);
          continue;
        }
        // Fast path: a whole header is in this chunk.
        if (end - offset >= HEADER_LENGTH) {
          this.readHeader(chunk, offset);
          offset += HEADER_LENGTH;
          offset = this.startBody(chunk, offset, sink);
          continue;
        }
      }
      offset = this.fillHeader(chunk, offset, sink);
    }
  }

  private fillHeader(chunk: Buffer, offset: number, sink: (packet: Packet) => void): number {
    // Kept for the connection's life once a header arrives split: not a slice of a shared pool.
    this.header ??= unpooled(HEADER_LENGTH);
    const n = Math.min(HEADER_LENGTH - this.headerFill, chunk.length - offset);
    chunk.copy(this.header, this.headerFill, offset, offset + n);
    const before = this.headerFill;
    this.headerFill += n;
    offset += n;
    if (before < 4 && this.headerFill >= 4) this.checkLength(this.header.readUInt32BE(0));
    if (this.headerFill < HEADER_LENGTH) return offset;
    this.readHeader(this.header, 0);
    this.header = undefined;
    this.headerFill = 0;
    return this.startBody(chunk, offset, sink);
  }

  private readHeader(buf: Buffer, at: number): void {
    const length = buf.readUInt32BE(at);
    this.checkLength(length);
    this.cmd = buf[at + 4] as number;
    this.flags = buf[at + 7] as number;
    this.seq = buf.readUInt32BE(at + 8);
    if ((this.flags & ~KNOWN_FLAGS) !== 0) throw new ReservedFlagsError(this.flags);
    this.length = length;
  }

  private startBody(chunk: Buffer, offset: number, sink: (packet: Packet) => void): number {
    const length = this.length;
    if (length === 0) {
      sink({ cmd: this.cmd, flags: this.flags, seq: this.seq, body: EMPTY });
      return offset;
    }
    if (chunk.length - offset >= length) {
      sink({ cmd: this.cmd, flags: this.flags, seq: this.seq, body: chunk.subarray(offset, offset + length) });
      return offset + length;
    }
    this.body = Buffer.allocUnsafe(length);
    return this.fillBody(chunk, offset, sink);
  }

  private fillBody(chunk: Buffer, offset: number, sink: (packet: Packet) => void): number {
    const body = this.body as Buffer;
    const n = Math.min(body.length - this.bodyFill, chunk.length - offset);
    chunk.copy(body, this.bodyFill, offset, offset + n);
    this.bodyFill += n;
    if (this.bodyFill < body.length) return offset + n;
    this.body = undefined;
    this.bodyFill = 0;
    sink({ cmd: this.cmd, flags: this.flags, seq: this.seq, body });
    return offset + n;
  }

  private checkLength(length: number): void {
    if (length > this.maxBodyBytes) throw new FrameTooLargeError(length, this.maxBodyBytes);
  }
}
