import type { ServerConfig } from "../config/config.js";
import type { PacketSink, ServerConnection } from "../connection/server-connection.js";
import type { Logger } from "../log/logger.js";
import { STORM_LOG_INTERVAL_MS, type ThrottledLog, throttledLog } from "../log/throttled-log.js";
import { deflateBody, InflateError, inflateBody } from "../protocol/body-compression.js";
import { Command, ErrorCode, ErrorReply, encodeMessage, FrameFlag, OkReply, type Packet } from "../protocol/index.js";
import { errorCodeProblem, ProtocolError } from "../protocol/protocol-error.js";
import { type HandlerDeadline, HandlerTimeoutError } from "./handler-deadline.js";
import type { HandlerEntry, HandlerRegistry } from "./handler-registry.js";
import { type Reply, replyProblem } from "./reply.js";
import { RequestContext, SESSION_REQUIRED_REASON } from "./request-context.js";

/**
 * Packet -> handler -> reply, for every connection of one server.
 *
 * Outcomes, each with the request's seq:
 *   no handler                 ERROR(UNSUPPORTED_CMD), then close if unknownCommand = "close"
 *   session needed, none yet   ERROR(SESSION_REQUIRED)
 *   body does not decode       ERROR(MALFORMED_BODY)
 *   handler throws ProtocolError   ERROR(its code, its reason); a code the core does not define
 *                                  below 1000, a push API code (1-99) or one the wire cannot carry
 *                                  is the handler's bug: as below
 *   handler throws anything else   ERROR(DISPATCH_ERROR), logged with connection id and command
 *                                  (once per 5 s per handler, the rest counted)
 *   handler past handlerTimeoutMs  the same; its late reply is dropped, the connection's next packet served
 * The connection stays open in every case unless said otherwise, or until it
 * has been answered maxErrorsBeforeSession ERRORs without a session.
 */
export class Dispatcher implements PacketSink {
  constructor(
    private readonly registry: HandlerRegistry,
    private readonly config: Pick<
      ServerConfig,
      "maxBodyBytes" | "compressThresholdBytes" | "unknownCommand" | "maxErrorsBeforeSession"
    >,
    private readonly log: Logger,
    /** Undefined: an async handler may take as long as it likes. */
    private readonly deadline?: HandlerDeadline,
  ) {}

  private readonly failureLogs = new Map<HandlerEntry, ThrottledLog>();

  dispatch(connection: ServerConnection, packet: Packet): void | Promise<void> {
    const entry = this.registry.get(packet.cmd);
    if (entry === undefined) return this.unknownCommand(connection, packet);
    if (entry.access === "session" && connection.session === undefined) {
      return this.fail(connection, packet, ErrorCode.SESSION_REQUIRED, SESSION_REQUIRED_REASON);
    }
    let request: unknown;
    let flags = packet.flags;
    let body = packet.body;
    try {
      if ((flags & FrameFlag.COMPRESSED) !== 0) {
        body = inflateBody(body, this.config.maxBodyBytes);
        flags &= ~FrameFlag.COMPRESSED;
      }
      request = entry.request ? entry.request.decode(body) : body;
    } catch (error) {
      const reason = error instanceof InflateError ? error.message : "body is not a valid message for this command";
      return this.fail(connection, packet, ErrorCode.MALFORMED_BODY, reason);
    }
    const context = new RequestContext(connection, packet.cmd, packet.seq, flags, body);
    let result: ReturnType<HandlerEntry["handler"]["handle"]>;
    try {
      result = entry.handler.handle(request, context);
    } catch (error) {
      return this.handlerFailed(connection, packet, entry, error);
    }
    if (result instanceof Promise) {
      // Until the handler settles, a connection that goes away aborts its signal.
      connection.inFlight = context;
      const answered = (reply: unknown) => {
        connection.inFlight = undefined;
        return this.answer(connection, packet, entry, reply);
      };
      const failed = (error: unknown) => {
        connection.inFlight = undefined;
        if (stoppedOnSignal(error, context.abortReason)) this.abandoned(connection, packet, entry, error);
        else this.handlerFailed(connection, packet, entry, error);
      };
      const deadline = this.deadline;
      if (deadline === undefined || entry.boundsItself) return result.then(answered, failed);
      const timedOut = () => {
        connection.inFlight = undefined;
        const error = new HandlerTimeoutError(
          `${entry.name} did not settle within ${deadline.timeoutMs} ms; its reply will be dropped`,
        );
        context.abort(error);
        this.handlerFailed(connection, packet, entry, error);
      };
      const late = (error?: unknown) =>
        this.log.debug(
          { err: error, connection: connection.id, cmd: packet.cmd, handler: entry.name },
          "a command handler settled after its deadline; what it returned was dropped",
        );
      return deadline.bound(result, answered, failed, timedOut, late);
    }
    return this.answer(connection, packet, entry, result);
  }

  /**
   * What a handler returned, sent. Anything that is not a Reply (null, a
   * foreign thenable, a body that is not bytes) is the handler's bug: it must
   * not reach the encoder, where it would be taken for the client's fault.
   */
  private answer(
    connection: ServerConnection,
    packet: Packet,
    entry: HandlerEntry,
    reply: unknown,
  ): void | Promise<void> {
    if (reply === undefined) return;
    const problem = replyProblem(reply);
    if (problem !== undefined) {
      return this.handlerFailed(connection, packet, entry, new TypeError(`${entry.name} returned ${problem}`));
    }
    return this.send(connection, packet, reply as Reply);
  }

  private send(connection: ServerConnection, packet: Packet, reply: Reply | undefined): void | Promise<void> {
    if (reply === undefined) return;
    switch (reply.kind) {
      case "heartbeat":
        connection.sendHeartbeat();
        return;
      case "ok":
        connection.send(Command.OK, 0, packet.seq, encodeMessage(OkReply, { command: packet.cmd, data: reply.data }));
        return;
      case "message": {
        let { body } = reply;
        let flags = reply.flags ?? 0;
        const threshold = this.config.compressThresholdBytes;
        if (threshold > 0 && body.length > threshold && reply.establish === undefined) {
          body = deflateBody(body);
          flags |= FrameFlag.COMPRESSED;
        }
        const cmd = reply.cmd ?? packet.cmd;
        const establish = reply.establish;
        if (establish === undefined) {
          connection.send(cmd, flags, packet.seq, body);
          return;
        }
        return new Promise<void>((resolve) => {
          connection.send(cmd, flags, packet.seq, body, (error) => {
            // The session is restored only once its reply was written.
            if (!error && connection.isOpen) connection.establish(establish.session);
            resolve();
          });
          connection.installKeys(establish.secrets.traffic);
        });
      }
    }
  }

  /** A handler that gave up because its connection went away, as its signal asked: nobody to answer, nothing wrong. */
  private abandoned(connection: ServerConnection, packet: Packet, entry: HandlerEntry, reason: unknown): void {
    this.log.debug(
      { err: reason, connection: connection.id, cmd: packet.cmd, handler: entry.name },
      "a command handler stopped on its signal",
    );
  }

  private unknownCommand(connection: ServerConnection, packet: Packet): void {
    const close = this.config.unknownCommand === "close";
    this.fail(connection, packet, ErrorCode.UNSUPPORTED_CMD, `unsupported command ${packet.cmd}`, close);
  }

  private handlerFailed(connection: ServerConnection, packet: Packet, entry: HandlerEntry, error: unknown): void {
    let close = false;
    if (error instanceof ProtocolError) {
      const problem = errorCodeProblem(error.code);
      if (problem === undefined) {
        this.fail(connection, packet, error.code, error.message, error.close);
        return;
      }
      // Still closed if the handler asked for that: it may have had a reason the bad code does not undo.
      close = error.close;
      error = new TypeError(`${entry.name} threw a ProtocolError with ${problem}`, { cause: error });
    }
    this.failureLog(entry)(
      { err: error, connection: connection.id, cmd: packet.cmd, handler: entry.name },
      "command handler failed",
    );
    this.fail(connection, packet, ErrorCode.DISPATCH_ERROR, "internal error while handling the command", close);
  }

  /** Per handler: a bug any client can trigger on every request must not flood the log, nor hide another handler's. */
  private failureLog(entry: HandlerEntry): ThrottledLog {
    let log = this.failureLogs.get(entry);
    if (log === undefined) {
      log = throttledLog(this.log, "error", STORM_LOG_INTERVAL_MS);
      this.failureLogs.set(entry, log);
    }
    return log;
  }

  private fail(connection: ServerConnection, packet: Packet, code: number, reason: string, close = false): void {
    const body = encodeMessage(ErrorReply, { command: packet.cmd, code, reason });
    connection.send(Command.ERROR, 0, packet.seq, body);
    // A refused FAST_CONNECT (a stale copy, a replay) is a client's routine; at debug, an operator can follow it.
    if (this.log.isLevelEnabled("debug")) {
      this.log.debug(
        { connection: connection.id, cmd: packet.cmd, code: ErrorCode[code] ?? code, reason },
        "answered ERROR",
      );
    }
    if (close) {
      connection.close(`closed after ERROR ${code} for command ${packet.cmd}`);
      return;
    }
    // Refusals are cheap to ask for and may cost the server a store read each: a stranger gets a few per connection.
    const limit = this.config.maxErrorsBeforeSession;
    if (limit > 0 && connection.session === undefined && ++connection.errorsBeforeSession >= limit) {
      connection.close(`closed after ${limit} ERRORs without a session`);
    }
  }
}

/**
 * The handler failed because its signal asked it to: with the signal's reason
 * (fetch) or with an AbortError carrying it as its cause (timers/promises,
 * events.once, streams, fs).
 */
function stoppedOnSignal(error: unknown, reason: Error | undefined): boolean {
  return reason !== undefined && (error === reason || (error instanceof Error && error.cause === reason));
}
