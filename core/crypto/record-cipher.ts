import { createCipheriv, createDecipheriv } from "node:crypto";
import { RecordError } from "../errors/frame-errors.js";
import { writeHeader } from "../protocol/frame-encoder.js";
import { FrameFlag, HEADER_LENGTH, type Packet } from "../protocol/packet.js";
import { unpooled } from "../runtime/unpooled.js";
import { AEAD, type DirectionKeys, IV_LENGTH, KEY_LENGTH, TAG_LENGTH } from "./key-schedule.js";

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
  /** Until the first frame: the direction's keys, which may be expanded only when asked for. */
  private keys: DirectionKeys | undefined;
  /**
   * From the first frame: the key, the nonce and (when opening) the associated
   * data, views of one block of its own, kept for the connection's life
   * (runtime/unpooled.ts). What derived the key can then go.
   */
  private key: Buffer | undefined;
  private nonce: Buffer | undefined;
  private aad: Buffer | undefined;
  /** The iv's last 8 bytes as two int32s, which the frame counter is XORed into. */
  private ivMiddle = 0;
  private ivLow = 0;

  constructor(keys: DirectionKeys) {
    this.keys = keys;
  }

  /** Encodes a whole sealed frame. */
  seal(cmd: number, flags: number, seq: number, plaintext: Uint8Array): Buffer {
    const key = this.key ?? this.takeKeys();
    const out = Buffer.allocUnsafe(HEADER_LENGTH + plaintext.length + TAG_LENGTH);
    writeHeader(out, 0, plaintext.length + TAG_LENGTH, cmd, flags | FrameFlag.ENCRYPTED, seq);
    const cipher = createCipheriv(AEAD, key, this.nextNonce(), { authTagLength: TAG_LENGTH });
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
    const key = this.key ?? this.takeKeys();
    this.aad ??= Buffer.from(key.buffer, key.byteOffset + KEY_LENGTH + IV_LENGTH, HEADER_LENGTH);
    writeHeader(this.aad, 0, body.length, packet.cmd, packet.flags, packet.seq);
    const split = body.length - TAG_LENGTH;
    const decipher = createDecipheriv(AEAD, key, this.nextNonce(), { authTagLength: TAG_LENGTH });
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

  /** Copies key and iv into this direction's block and lets go of the keys object. */
  private takeKeys(): Buffer {
    const { key, iv } = this.keys as DirectionKeys;
    const block = unpooled(KEY_LENGTH + IV_LENGTH + HEADER_LENGTH);
    block.set(key, 0);
    block.set(iv, KEY_LENGTH);
    this.key = block.subarray(0, KEY_LENGTH);
    this.nonce = block.subarray(KEY_LENGTH, KEY_LENGTH + IV_LENGTH);
    this.ivMiddle = iv.readInt32BE(4);
    this.ivLow = iv.readInt32BE(8);
    this.keys = undefined;
    return this.key;
  }

  private nextNonce(): Buffer {
    const n = this.count++;
    if (n >= MAX_RECORDS) throw new RecordError("record limit reached; reconnect and resume");
    const nonce = this.nonce as Buffer;
    const high = Math.floor(n / 2 ** 32);
    const low = n >>> 0;
    nonce.writeUInt32BE((this.ivMiddle ^ high) >>> 0, 4);
    nonce.writeUInt32BE((this.ivLow ^ low) >>> 0, 8);
    return nonce;
  }
}
