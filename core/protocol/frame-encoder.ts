import { HEADER_LENGTH, HEARTBEAT_BYTE } from "./packet.js";

const HEARTBEAT_FRAME = Buffer.from([HEARTBEAT_BYTE]);

/** Writes a header at `at`; cc and lrc are always 0. */
export function writeHeader(out: Buffer, at: number, length: number, cmd: number, flags: number, seq: number): void {
  out.writeUInt32BE(length, at);
  out[at + 4] = cmd;
  out.writeUInt16BE(0, at + 5);
  out[at + 7] = flags;
  out.writeUInt32BE(seq >>> 0, at + 8);
  out[at + 12] = 0;
}

export function encodeFrame(cmd: number, flags: number, seq: number, body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  writeHeader(out, 0, body.length, cmd, flags, seq);
  out.set(body, HEADER_LENGTH);
  return out;
}

/** The heartbeat on the wire: one byte, no header. */
export function heartbeatFrame(): Buffer {
  return HEARTBEAT_FRAME;
}
