import { pino } from "pino";

export type Logger = pino.Logger;

export const LOGGER: unique symbol = Symbol("mpush.Logger");

/**
 * Log lines held for a stdout reader that has fallen behind. Past this they are
 * dropped (and counted), so a reader that stops reading costs bounded memory.
 */
export const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;

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
  /**
   * Call right before `process.exit`: writes out what is buffered, giving up
   * after `deadlineMs` of a reader that takes nothing. Without it, pino's own
   * flush at exit retries a full pipe forever and the process never exits.
   */
  flushBeforeExit(deadlineMs: number): void;
}

/**
 * Asynchronous writes to `fd` (stdout), so a slow reader never stalls the
 * event loop. Lines past `maxBufferedBytes` are dropped; once the reader takes
 * lines again, one warning says how many were lost.
 */
export function createStdoutLog(
  level: string,
  { fd = 1, maxBufferedBytes = MAX_BUFFERED_LOG_BYTES }: { fd?: number; maxBufferedBytes?: number } = {},
): StdoutLog {
  let giveUpAt = Number.POSITIVE_INFINITY;
  const destination = pino.destination({
    fd,
    sync: false,
    maxLength: maxBufferedBytes,
    retryEAGAIN: () => Date.now() < giveUpAt,
  });
  const logger = pino(loggerOptions(level), destination);
  let dropped = 0;
  const reportDropped = () => {
    const droppedLines = dropped;
    logger.warn({ droppedLines }, "log lines were dropped: stdout was not being read");
    // The report itself may not fit yet; then it is tried again after the next write.
    dropped = dropped === droppedLines ? 0 : droppedLines;
  };
  destination.on("drop", () => {
    dropped++;
  });
  destination.on("write", () => {
    // After the tick: "write" is told before the written bytes leave the buffer's count.
    if (dropped > 0) process.nextTick(reportDropped);
  });
  return {
    logger,
    flushBeforeExit(deadlineMs) {
      giveUpAt = Date.now() + deadlineMs;
      try {
        destination.flushSync();
        giveUpAt = Number.POSITIVE_INFINITY;
      } catch {
        // The reader took nothing until the deadline: what is left is lost, and the exit goes on.
        // A write still in flight fails on its next retry, with nobody left to tell.
        destination.on("error", () => {});
        destination.destroy();
      }
    },
  };
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
