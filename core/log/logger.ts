import { pino } from "pino";
import { FdWriter } from "./fd-writer.js";

export type Logger = pino.Logger;

export const LOGGER: unique symbol = Symbol("mpush.Logger");

/**
 * Log lines held for a stdout reader that has fallen behind. Past this they are
 * dropped (and counted), so a reader that stops reading costs bounded memory.
 */
export const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;

/** At exit, how long what is left of the logs may wait for a reader that takes nothing. */
export const LOG_FLUSH_AT_EXIT_MS = 1000;

/**
 * Structured JSON logs. Nothing logs bodies or key material by design; the
 * redact list is a second line of defence for fields with secret-like names.
 * Without a destination they go to stdout as `createStdoutLog` writes it.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : createStdoutLog(level).logger;
}

export interface StdoutLog {
  readonly logger: Logger;
  /** Resolves once every line so far is written, the reader is gone, or `deadlineMs` passed. */
  drain(deadlineMs: number): Promise<void>;
}

/** One writer per descriptor, however many loggers share it: two would tear each other's lines. */
const writers = new Map<number, FdWriter>();

/**
 * Logs to `fd` (stdout) through its FdWriter: a slow reader never stalls the
 * event loop, and one that stops costs at most `maxBufferedBytes` (set by the
 * first logger of the descriptor); once it takes lines again, one warning says
 * how many were dropped. At process exit what is left is written, for at most
 * LOG_FLUSH_AT_EXIT_MS.
 */
export function createStdoutLog(
  level: string,
  { fd = 1, maxBufferedBytes = MAX_BUFFERED_LOG_BYTES }: { fd?: number; maxBufferedBytes?: number } = {},
): StdoutLog {
  let writer = writers.get(fd);
  if (writer === undefined) {
    // Asking for process.stdout has libuv make a pipe or socket non-blocking: a write to a full pipe
    // then fails with EAGAIN instead of holding a thread-pool thread, which would hold the exit too.
    // (A terminal stays blocking, and so does a pipe a child process was given as its stdout.)
    if (fd === 1) process.stdout.writable;
    if (writers.size === 0) process.prependListener("exit", flushAtExit);
    writer = new FdWriter(fd, maxBufferedBytes);
    writers.set(fd, writer);
  }
  const shared = writer;
  return { logger: pino(loggerOptions(level), shared), drain: (deadlineMs) => shared.drain(deadlineMs) };
}

function flushAtExit(): void {
  const giveUpAt = Date.now() + LOG_FLUSH_AT_EXIT_MS;
  for (const writer of writers.values()) writer.flushSync(Math.max(0, giveUpAt - Date.now()));
}

function loggerOptions(level: string): pino.LoggerOptions {
  return {
    level,
    base: { service: "mpush" },
    redact: {
      paths: ["*.secret", "*.sessionSecret", "*.key", "*.privateKey", "*.body", "*.binder", "*.password"],
      censor: "[redacted]",
    },
  };
}
