/**
 * A byte stream that cannot be framed. The connection is closed: once framing
 * is lost nothing after it can be trusted, so no reply is attempted.
 */
export class FrameError extends Error {
  override readonly name: string = "FrameError";
}

/** The header announced a body above the limit; raised before the body is buffered. */
export class FrameTooLargeError extends FrameError {
  override readonly name = "FrameTooLargeError";
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`frame body of ${length} bytes exceeds the ${limit}-byte limit`);
  }
}

/** The header set flag bits this protocol version does not define. */
export class ReservedFlagsError extends FrameError {
  override readonly name = "ReservedFlagsError";
  constructor(readonly flags: number) {
    super(`frame sets reserved flag bits 0x${flags.toString(16).padStart(2, "0")}`);
  }
}

/** A frame's protection is wrong: plaintext where sealing is required, or a seal that does not open. */
export class RecordError extends FrameError {
  override readonly name = "RecordError";
}
