import { write, writeSync } from "node:fs";

/** A pipe takes a write of at most this many bytes whole or not at all (POSIX PIPE_BUF). */
const ATOMIC_WRITE_BYTES = 4096;
const FIRST_RETRY_MS = 1;
const LAST_RETRY_MS = 100;
/** On a non-blocking descriptor a thread-pool write takes microseconds. */
const IN_FLIGHT_WAIT_MS = 10;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * Log lines to a file descriptor (stdout), for pino. Written asynchronously,
 * so a reader that falls behind never stalls the event loop; at most
 * `maxBufferedBytes` wait for it, and lines past that are dropped, counted, and
 * reported in a line of the writer's own once the reader takes lines again. A
 * reader that is gone (EPIPE, or any error but EAGAIN) ends the writing.
 * pino's own destination buffers without bound, and at exit retries a full or
 * broken pipe forever.
 */
export class FdWriter {
  private dropped = 0;
  private queued: string[] = [];
  private queuedBytes = 0;
  /** Taken from the queue and not yet written: while not empty, a write or its retry is under way. */
  private unsent: Buffer = EMPTY;
  /** An fs.write of `unsent` is outstanding in the thread pool. */
  private writing = false;
  private retry: NodeJS.Timeout | undefined;
  /** Node cannot wait for a descriptor to take bytes, so a full one is tried again, soon, then less often. */
  private retryMs = FIRST_RETRY_MS;
  private broken = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly fd: number,
    private readonly maxBufferedBytes: number,
  ) {}

  write(line: string): void {
    if (this.broken) return;
    const size = Buffer.byteLength(line);
    if (this.queuedBytes + this.unsent.length + size > this.maxBufferedBytes) {
      this.dropped++;
      return;
    }
    this.queued.push(line);
    this.queuedBytes += size;
    if (this.unsent.length === 0) this.sendQueued();
  }

  /** An fs.write is outstanding: at exit it gets a moment to finish, and its bytes are never written twice. */
  get writeInFlight(): boolean {
    return this.writing;
  }

  /** Resolves once everything queued is written, the reader is gone, or `deadlineMs` passed. */
  drain(deadlineMs: number): Promise<void> {
    if (this.unsent.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, deadlineMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * At exit, with no event loop left: writes what is left, giving up at the
   * deadline on a reader that takes nothing, or at once on any other error.
   * Giving up never leaves half a line for the next writer on the pipe to be
   * glued to, as no write tears a line (wholeLines). A write still outstanding
   * in the thread pool is given a moment to finish first; what it leaves of
   * its own bytes is lost, since nothing says how much that was.
   */
  flushSync(deadlineMs: number): void {
    if (this.broken) return;
    clearTimeout(this.retry);
    if (this.writing) Atomics.wait(SLEEPER, 0, 0, IN_FLIGHT_WAIT_MS);
    let data = Buffer.concat([this.writing ? EMPTY : this.unsent, Buffer.from(this.queued.join(""))]);
    this.unsent = EMPTY;
    this.queued = [];
    this.queuedBytes = 0;
    const giveUpAt = Date.now() + deadlineMs;
    while (data.length > 0) {
      try {
        data = data.subarray(writeSync(this.fd, data, 0, wholeLines(data)));
      } catch (error) {
        const wait = Math.min(LAST_RETRY_MS, giveUpAt - Date.now());
        if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || wait <= 0) return;
        Atomics.wait(SLEEPER, 0, 0, wait);
      }
    }
  }

  private sendQueued(): void {
    this.unsent = Buffer.from(this.queued.join(""));
    this.queued = [];
    this.queuedBytes = 0;
    this.send();
  }

  private send(): void {
    this.writing = true;
    write(this.fd, this.unsent, 0, wholeLines(this.unsent), null, this.sent);
  }

  private readonly sent = (error: NodeJS.ErrnoException | null, written: number): void => {
    this.writing = false;
    if (error?.code === "EAGAIN") {
      this.retry = setTimeout(this.retrySend, this.retryMs).unref();
      this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
    } else if (error) {
      this.stop();
    } else {
      this.retryMs = FIRST_RETRY_MS;
      this.unsent = this.unsent.subarray(written);
      if (this.unsent.length > 0) this.send();
      else this.sendNext();
    }
  };

  private sendNext(): void {
    // The report goes through write(), which may start the next write itself.
    if (this.dropped > 0) this.reportDropped();
    if (this.unsent.length > 0) return;
    if (this.queued.length > 0) this.sendQueued();
    else this.wakeIdle();
  }

  private readonly retrySend = (): void => {
    this.retry = undefined;
    this.send();
  };

  /** As pino would write it; the report itself may not fit yet, and is then tried after the next write. */
  private reportDropped(): void {
    const droppedLines = this.dropped;
    this.dropped = 0;
    this.write(
      `${JSON.stringify({ level: 40, time: Date.now(), service: "mpush", droppedLines, msg: "log lines were dropped: stdout was not being read" })}\n`,
    );
    if (this.dropped > 0) this.dropped = droppedLines;
  }

  /** The reader is gone: what waits is dropped, and so is every later line. */
  private stop(): void {
    this.broken = true;
    this.unsent = EMPTY;
    this.queued = [];
    this.queuedBytes = 0;
    this.wakeIdle();
  }

  private wakeIdle(): void {
    for (const wake of this.idle.splice(0)) wake();
  }
}

/**
 * How much of `data` to write at once: whole lines of at most PIPE_BUF bytes,
 * which a pipe takes whole or not at all, so a full pipe never ends up holding
 * half a line. Only a line longer than that is written on its own, and may tear.
 */
function wholeLines(data: Buffer): number {
  return data.lastIndexOf(NEWLINE, ATOMIC_WRITE_BYTES - 1) + 1 || data.indexOf(NEWLINE) + 1 || data.length;
}
