import { createCipheriv, createDecipheriv } from "node:crypto";
import { RecordError } from "../errors/frame-errors.js";
import { writeHeader } from "../protocol/frame-encoder.js";
import { FrameFlag, HEADER_LENGTH, type Packet } from "../protocol/packet.js";
import { unpooled, unpooledCopy } from "../runtime/unpooled.js";
import { AEAD, type DirectionKeys, TAG_LENGTH } from "./key-schedule.js";

/** Records one key may protect; far beyond any connection's life, and well inside AES-GCM's bounds. */
const MAX_RECORDS = 2 ** 32;

/**
 * One direction of the record layer. Every frame is sealed with AES-128-GCM:
 *   nonce = iv XOR (0^4 || u64be(n)), n = frames sealed so far in this direction
 *   aad   = the 13-byte header as sent (length includes the tag, ENCRYPTED set, cc = lrc = 0)
 * The counter is implicit, so a dropped, reordered, replayed or injected frame
 * fails to open and the connection closes (RecordError).
 */
export class RecordCipher {
  private count = 0;
  /**
   * Made on the first frame, so that keys expanded on use stay unexpanded until then;
   * kept for the connection's life, so not slices of a shared pool (runtime/unpooled.ts).
   */
  private nonce: Buffer | undefined;
  private aad: Buffer | undefined;

  constructor(private readonly keys: DirectionKeys) {}

  /** Encodes a whole sealed frame. */
  seal(cmd: number, flags: number, seq: number, plaintext: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(HEADER_LENGTH + plaintext.length + TAG_LENGTH);
    writeHeader(out, 0, plaintext.length + TAG_LENGTH, cmd, flags | FrameFlag.ENCRYPTED, seq);
    const cipher = createCipheriv(AEAD, this.keys.key, this.nextNonce(), { authTagLength: TAG_LENGTH });
    cipher.setAAD(out.subarray(0, HEADER_LENGTH));
    let at = HEADER_LENGTH + cipher.update(plaintext).copy(out, HEADER_LENGTH);
    at += cipher.final().copy(out, at);
    cipher.getAuthTag().copy(out, at);
    return out;
  }

  /** Returns the plaintext body of a sealed packet, or throws RecordError. */
  open(packet: Packet): Buffer {
    if ((packet.flags & FrameFlag.ENCRYPTED) === 0)
      throw new RecordError("plaintext frame after keys were established");
    const body = packet.body;
    if (body.length < TAG_LENGTH) throw new RecordError("sealed frame shorter than its tag");
    this.aad ??= unpooled(HEADER_LENGTH);
    writeHeader(this.aad, 0, body.length, packet.cmd, packet.flags, packet.seq);
    const split = body.length - TAG_LENGTH;
    const decipher = createDecipheriv(AEAD, this.keys.key, this.nextNonce(), { authTagLength: TAG_LENGTH });
    decipher.setAAD(this.aad);
    decipher.setAuthTag(body.subarray(split));
    const head = decipher.update(body.subarray(0, split));
    try {
      const tail = decipher.final();
      return tail.length === 0 ? head : Buffer.concat([head, tail]);
    } catch (cause) {
      throw new RecordError("sealed frame failed authentication", { cause });
    }
  }

  private nextNonce(): Buffer {
    const n = this.count++;
    if (n >= MAX_RECORDS) throw new RecordError("record limit reached; reconnect and resume");
    const iv = this.keys.iv;
    this.nonce ??= unpooledCopy(iv);
    const nonce = this.nonce;
    const high = Math.floor(n / 2 ** 32);
    const low = n >>> 0;
    nonce.writeUInt32BE((iv.readUInt32BE(4) ^ high) >>> 0, 4);
    nonce.writeUInt32BE((iv.readUInt32BE(8) ^ low) >>> 0, 8);
    return nonce;
  }
}
