import { write, writeSync } from "node:fs";

/** How long a full pipe is given before the next try. */
const RETRY_MS = 100;
const EMPTY = Buffer.alloc(0);
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * Log lines to a file descriptor (stdout), for pino. Written asynchronously,
 * so a reader that falls behind never stalls the event loop; at most
 * `maxBufferedBytes` wait for it, and lines past that are dropped and counted.
 * A reader that is gone (EPIPE, or any error but EAGAIN) ends the writing.
 * pino's own destination buffers without bound, and at exit retries a full or
 * broken pipe forever.
 */
export class FdWriter {
  /** Lines dropped since the count was last taken. */
  dropped = 0;
  private queued: string[] = [];
  private queuedBytes = 0;
  /** Taken from the queue and not yet written: while not empty, a write or its retry is under way. */
  private unsent: Buffer = EMPTY;
  /** An fs.write of `unsent` is outstanding in the thread pool. */
  private writing = false;
  private retry: NodeJS.Timeout | undefined;
  private broken = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly fd: number,
    private readonly maxBufferedBytes: number,
    /** Told after each completed write; it may write. */
    private readonly afterWrite?: () => void,
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
   * deadline of a reader that takes nothing, or at once on any other error.
   * A write still outstanding in the thread pool is left to finish on its
   * own (it may be stuck on a stopped terminal), and nothing is written
   * after it, which could put lines out of order.
   */
  flushSync(deadlineMs: number): void {
    if (this.broken || this.writing) return;
    clearTimeout(this.retry);
    let data = Buffer.concat([this.unsent, Buffer.from(this.queued.join(""))]);
    this.unsent = EMPTY;
    this.queued = [];
    this.queuedBytes = 0;
    const giveUpAt = Date.now() + deadlineMs;
    while (data.length > 0) {
      try {
        data = data.subarray(writeSync(this.fd, data));
      } catch (error) {
        const wait = Math.min(RETRY_MS, giveUpAt - Date.now());
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
    write(this.fd, this.unsent, this.sent);
  }

  private readonly sent = (error: NodeJS.ErrnoException | null, written: number): void => {
    this.writing = false;
    if (error) {
      if (error.code === "EAGAIN") this.retry = setTimeout(this.retrySend, RETRY_MS).unref();
      else this.stop();
      return;
    }
    this.unsent = this.unsent.subarray(written);
    if (this.unsent.length > 0) {
      this.send();
      return;
    }
    this.afterWrite?.();
    if (this.unsent.length > 0) return;
    if (this.queued.length > 0) this.sendQueued();
    else this.wakeIdle();
  };

  private readonly retrySend = (): void => {
    this.retry = undefined;
    this.send();
  };

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
