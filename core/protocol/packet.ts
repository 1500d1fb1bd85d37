/**
 * One frame on the wire: a 13-byte big-endian header, then `length` body bytes.
 *
 *   offset 0  u32 length   body bytes only
 *   offset 4  u8  cmd      Command, or a plugin command (100-254)
 *   offset 5  u16 cc       written as 0, ignored on read (MPush never checked it)
 *   offset 7  u8  flags    FrameFlag bits
 *   offset 8  u32 seq      per-message id; a reply echoes its request's seq
 *   offset 12 u8  lrc      written as 0, ignored on read
 *
 * Between frames, the single byte 0xDF is a heartbeat.
 */
export interface Packet {
  readonly cmd: number;
  readonly flags: number;
  readonly seq: number;
  readonly body: Buffer;
}

export const HEADER_LENGTH = 13;
export const HEARTBEAT_BYTE = 0xdf;
export const MAX_COMMAND = 254;
export const FIRST_PLUGIN_COMMAND = 100;

export const FrameFlag = {
  /** Body is AEAD-sealed by the record layer. */
  ENCRYPTED: 0x01,
  /** Body is zlib-deflated (before sealing). */
  COMPRESSED: 0x02,
  /** The receiver acknowledges after business processing. */
  BIZ_ACK: 0x04,
  /** The receiver's SDK acknowledges on receipt. */
  AUTO_ACK: 0x08,
} as const;

/** Bits 0x10-0x80 are reserved (0x10 is MPush's JSON body); a frame with any of them closes the connection. */
export const KNOWN_FLAGS = 0x0f;

const EMPTY = Buffer.alloc(0);

/** The packet a 0xDF byte decodes to. cmd 1 = Command.HEARTBEAT. */
export const HEARTBEAT_PACKET: Packet = Object.freeze({ cmd: 1, flags: 0, seq: 0, body: EMPTY });
