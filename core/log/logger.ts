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

/**
 * Logs to `fd` (stdout) through an FdWriter: a slow reader never stalls the
 * event loop, and one that stops costs at most `maxBufferedBytes`; once it
 * takes lines again, one warning says how many were dropped. At process exit
 * what is left is written, for at most LOG_FLUSH_AT_EXIT_MS.
 */
export function createStdoutLog(
  level: string,
  { fd = 1, maxBufferedBytes = MAX_BUFFERED_LOG_BYTES }: { fd?: number; maxBufferedBytes?: number } = {},
): StdoutLog {
  // Asking for process.stdout has libuv make a pipe or socket non-blocking: a write to a full pipe then
  // fails with EAGAIN instead of holding a thread-pool thread, which would hold the process's exit too.
  // (A terminal stays blocking: one stopped with Ctrl-S can still hold the exit.)
  if (fd === 1) process.stdout.writable;
  const writer = new FdWriter(fd, maxBufferedBytes, () => {
    const droppedLines = writer.dropped;
    if (droppedLines === 0) return;
    writer.dropped = 0;
    logger.warn({ droppedLines }, "log lines were dropped: stdout was not being read");
    // The report itself may not fit yet; then it is tried again after the next write.
    if (writer.dropped > 0) writer.dropped = droppedLines;
  });
  const logger = pino(loggerOptions(level), writer);
  flushedAtExit(writer);
  return { logger, drain: (deadlineMs) => writer.drain(deadlineMs) };
}

const writers = new Set<WeakRef<FdWriter>>();

/** One exit listener for every writer; a writer nothing refers to any more is forgotten. */
function flushedAtExit(writer: FdWriter): void {
  if (writers.size === 0) {
    process.prependListener("exit", () => {
      const giveUpAt = Date.now() + LOG_FLUSH_AT_EXIT_MS;
      for (const ref of writers) ref.deref()?.flushSync(Math.max(0, giveUpAt - Date.now()));
    });
  }
  for (const ref of writers) if (ref.deref() === undefined) writers.delete(ref);
  writers.add(new WeakRef(writer));
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
