import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

/**
 * What the dispatcher needs from a message type. Every ts-proto generated
 * `const X: MessageFns<X>` satisfies it, so plugins pass their generated
 * messages directly.
 */
export interface MessageCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

export function encodeMessage<T>(codec: MessageCodec<T>, message: T): Buffer {
  const bytes = codec.encode(message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
