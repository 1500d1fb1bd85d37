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
 * One writer for every top-level encode: its buffer is reused, and takeBytes()
 * hands out a copy of just the bytes written and resets it. Encoding is
 * synchronous and nested messages go through the writer they are given, so
 * no encode can start while another is in progress.
 */
let shared = new BinaryWriter();

export function encodeMessage<T>(codec: MessageCodec<T>, message: T): Buffer {
  let writer: BinaryWriter;
  try {
    writer = codec.encode(message, shared);
  } catch (error) {
    // A throwing encode leaves the writer mid-message.
    shared = new BinaryWriter();
    throw error;
  }
  const bytes = takeBytes(writer);
  if (bytes.byteLength > KEPT_WRITER_BYTES) shared = new BinaryWriter();
  return bytes;
}

/** Where @bufbuild/protobuf's writer keeps its bytes (private fields; package.json pins the version). */
interface WriterInternals {
  buffer?: unknown;
  pos?: unknown;
}

/**
 * The bytes written so far, and the writer reset, as finish() does. But
 * finish() slices them into a new ArrayBuffer, which V8 keeps off its heap
 * past 64 bytes: about 0.6 µs and a finalizer for the GC per message, and a
 * FAST_CONNECT encodes two on each side. This copies them into Node's pooled
 * slab instead. A writer without those fields (another version of the
 * library) goes through finish().
 */
export function takeBytes(writer: BinaryWriter): Buffer {
  const internals = writer as unknown as WriterInternals;
  const { buffer, pos } = internals;
  if (!(buffer instanceof Uint8Array) || typeof pos !== "number") {
    const bytes = writer.finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const out = Buffer.allocUnsafe(pos);
  out.set(buffer.subarray(0, pos));
  internals.pos = 0;
  return out;
}
