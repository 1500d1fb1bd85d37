import { type BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

/**
 * What the dispatcher needs from a message type. Every ts-proto generated
 * `const X: MessageFns<X>` satisfies it, so plugins pass their generated
 * messages directly.
 */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

/** Past this a message's buffer is not kept for the next one. */
const KEPT_WRITER_BYTES = 64 * 1024;
/**
 * One writer for every top-level encode: its buffer is reused, and finish()
 * hands out a copy of just the bytes written and resets it. Encoding is
 * synchronous and nested messages go through the writer they are given, so
 * no encode can start while another is in progress.
 */
let shared = new BinaryWriter();

export function encodeMessage<T>(codec: MessageCodec<T>, message: T): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = codec.encode(message, shared).finish();
  } catch (error) {
    // A throwing encode leaves the writer mid-message.
    shared = new BinaryWriter();
    throw error;
  }
  if (bytes.byteLength > KEPT_WRITER_BYTES) shared = new BinaryWriter();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
