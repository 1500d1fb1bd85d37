import type { Connection } from "../connection/connection.js";
import type { InFlightRequest } from "../connection/server-connection.js";
import { ErrorCode } from "../protocol/index.js";
import { ProtocolError } from "../protocol/protocol-error.js";
import type { SessionContext } from "../session/session-context.js";
import type { HandlerContext } from "./command-handler.js";

/** The reason SESSION_REQUIRED gives, from the dispatcher's access rule and from requireSession() alike. */
export const SESSION_REQUIRED_REASON = "this command needs a session: HANDSHAKE or FAST_CONNECT first";

/** Why a request's signal was aborted: its connection went away while the handler ran. */
export class ConnectionClosedError extends Error {
  override readonly name = "ConnectionClosedError";
}

/**
 * One request's HandlerContext. Its AbortSignal is made on first read, so a
 * handler that never asks for it costs no AbortController per request.
 */
export class RequestContext implements HandlerContext, InFlightRequest {
  private controller: AbortController | undefined;
  private abortedWith: Error | undefined;

  constructor(
    readonly connection: Connection,
    readonly cmd: number,
    readonly seq: number,
    readonly flags: number,
    readonly body: Buffer,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedWith !== undefined) this.controller.abort(this.abortedWith);
    }
    return this.controller.signal;
  }

  throwIfAborted(): void {
    if (this.abortedWith !== undefined) throw this.abortedWith;
  }

  requireSession(): SessionContext {
    const { session } = this.connection;
    if (session === undefined) {
      throw new ProtocolError(ErrorCode.SESSION_REQUIRED, SESSION_REQUIRED_REASON);
    }
    return session;
  }

  /** Why the signal was aborted, if it was: a handler failing with exactly this did what it was asked. */
  get abortReason(): Error | undefined {
    return this.abortedWith;
  }

  connectionClosed(reason: string): void {
    this.abort(new ConnectionClosedError(`connection closed while handling command ${this.cmd}: ${reason}`));
  }

  /** The handler's answer is no longer wanted: its deadline passed or its connection is gone. First reason wins. */
  abort(reason: Error): void {
    if (this.abortedWith !== undefined) return;
    this.abortedWith = reason;
    this.controller?.abort(reason);
  }
}
