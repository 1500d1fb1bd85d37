import type { ErrorCode } from "../protocol/index.js";

/**
 * What a handler throws to answer ERROR(cmd, code, reason). The dispatcher
 * turns it into the reply, with the request's seq. `reason` reaches the client:
 * never put a secret or a body in it. `cause` stays on the server.
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  /** Close the connection once the ERROR has been written. */
  readonly close: boolean;

  constructor(
    readonly code: ErrorCode | number,
    reason: string,
    options: { cause?: unknown; close?: boolean } = {},
  ) {
    super(reason, { cause: options.cause });
    this.close = options.close ?? false;
  }
}
