import { type TimerWheel, WheelTimer } from "../runtime/timer-wheel.js";

/**
 * Bounds how long an async handler may hold its connection's queue, on the
 * server's timer wheel (no timer of its own per request). Only the handler's
 * own promise is bounded, never the write of its reply: a reply that was
 * queued is never followed by an ERROR for the same request.
 */
export class HandlerDeadline {
  constructor(
    private readonly wheel: TimerWheel,
    readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * Settles as `answered(value)` or `failed(error)` when `pending` settles in
   * time, else as `timedOut()`; what the handler settles with after that is
   * dropped, and only told to `late` (with the error, if it failed).
   */
  bound<T>(
    pending: Promise<T>,
    answered: (value: T) => void | Promise<void>,
    failed: (error: unknown) => void,
    timedOut: () => void,
    late: (error?: unknown) => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // Set by whichever comes first; when the handler finds it set, the deadline came first.
      let settled = false;
      const settle = (outcome: () => void | Promise<void>) => {
        if (settled) return;
        settled = true;
        this.wheel.cancel(timer);
        try {
          resolve(outcome());
        } catch (error) {
          reject(error);
        }
      };
      const timer = new WheelTimer(() => {
        settle(timedOut);
        return undefined;
      });
      this.wheel.schedule(timer, this.now() + this.timeoutMs);
      pending.then(
        (value) => (settled ? late() : settle(() => answered(value))),
        (error: unknown) => (settled ? late(error) : settle(() => failed(error))),
      );
    });
  }
}

/** An async handler that did not settle within handlerTimeoutMs. */
export class HandlerTimeoutError extends Error {
  override readonly name = "HandlerTimeoutError";
}
