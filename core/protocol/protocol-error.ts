import { ErrorCode } from "./index.js";

/** Codes from here up are plugins'; below it they are the core's, each in ErrorCode. */
export const FIRST_PLUGIN_CODE = 1000;
/** Core codes below this are the push API's answers, never sent on a client connection. */
const FIRST_CONNECTION_CODE = 100;
/** ErrorReply.code is a protobuf enum: int32 on the wire. */
const LAST_CODE = 0x7fff_ffff;

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

/**
 * Why a handler's ProtocolError cannot be answered as it is, or undefined. A
 * core code the core does not define, a push API code (1-99), 0, or a number
 * the wire cannot carry is the handler's bug, not the client's answer.
 */
export function errorCodeProblem(code: number): string | undefined {
  if (!Number.isInteger(code) || code < 1 || code > LAST_CODE)
    return `code ${code}, not an integer from 1 to ${LAST_CODE}`;
  if (code < FIRST_CONNECTION_CODE) return `code ${code}, a push API answer that is never sent on a client connection`;
  if (code < FIRST_PLUGIN_CODE && ErrorCode[code] === undefined) {
    return `code ${code}, which the core does not define (plugin codes start at ${FIRST_PLUGIN_CODE})`;
  }
  return undefined;
}
