import type { Connection } from "../connection/connection.js";
import type { MessageCodec } from "../protocol/message-codec.js";
import type { SessionContext } from "../session/session-context.js";
import type { Reply } from "./reply.js";

/** Who may send a command: "session" (default) needs an established session; "public" is accepted before one. */
export type Access = "public" | "session";

export interface HandlesOptions<Request> {
  /** Decodes the request body. Omitted: the handler receives the raw body (a Buffer). */
  readonly request?: MessageCodec<Request>;
  readonly access?: Access;
  /**
   * True for a handler that bounds every wait of its own and answers the
   * outcome itself (the built-in HANDSHAKE and FAST_CONNECT bound each store
   * call by storeTimeoutMs and degrade to a documented answer): the server's
   * handlerTimeoutMs would only cut that answer short.
   */
  readonly boundsItself?: boolean;
}

/** What a handler knows about the request besides its body. */
export interface HandlerContext {
  readonly connection: Connection;
  readonly cmd: number;
  readonly seq: number;
  /** Header flags, with ENCRYPTED and COMPRESSED already dealt with. */
  readonly flags: number;
  /** The body as received (opened and inflated), for handlers that hash or sign exact bytes. */
  readonly body: Buffer;
  /**
   * Aborted when the answer is no longer wanted: past handlerTimeoutMs (reason
   * a HandlerTimeoutError) or once the connection is gone (a
   * ConnectionClosedError). The server cannot stop a handler's work; a handler
   * that passes this to what it waits on (fetch, a database call) can. An
   * abort listener that throws is an uncaught exception, as with any Node
   * event listener: it ends the process.
   */
  readonly signal: AbortSignal;
  /**
   * Throws the signal's reason once the answer is no longer wanted. A check
   * between a handler's awaits that does not make the AbortSignal, which
   * costs an AbortController (about 3 µs) per request.
   */
  throwIfAborted(): void;
  /**
   * The connection's session. A `"session"` command always has one (the
   * dispatcher answers SESSION_REQUIRED first); in a `"public"` command with
   * none this throws ProtocolError(SESSION_REQUIRED), which answers the client.
   */
  requireSession(): SessionContext;
}

/**
 * A command handler returns what to send back and throws a ProtocolError to
 * answer ERROR. It never writes to the connection itself. Returning nothing
 * sends no frame: for one-way messages (an ACK), never for a request the
 * client waits on, which should get `ok()`.
 */
export interface CommandHandler<Request = unknown> {
  handle(request: Request, context: HandlerContext): Reply | undefined | Promise<Reply | undefined>;
}

/** Multi-registration token: `container.register(HANDLERS, { useClass: MyHandler })`. */
export const HANDLERS: unique symbol = Symbol("mpush.CommandHandler");
