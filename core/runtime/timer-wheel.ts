/**
 * One timer for every connection of a server: a hashed wheel of `slots`
 * buckets, each `tickMs` wide. A timer sits in the bucket of its due tick; a
 * tick visits one bucket, so the cost per tick is the timers due (plus those a
 * whole revolution away), not the number of connections.
 */
export class WheelTimer {
  /** @internal */ dueTick = 0;
  /** @internal */ bucket: Set<WheelTimer> | undefined;

  /** `fire` returns the next due time (ms) to stay scheduled, or undefined to stop. */
  constructor(readonly fire: (now: number) => number | undefined) {}
}

/** More ticks behind than this at once, and the process was not running: let I/O be read first. */
const STALL_TICKS = 2;

export class TimerWheel {
  private readonly buckets: Set<WheelTimer>[];
  private currentTick: number;
  private interval: NodeJS.Timeout | undefined;
  private size = 0;

  constructor(
    private readonly tickMs: number,
    private readonly now: () => number,
    slots = 1024,
    /** Told when a timer's fire throws; that timer is dropped and the tick goes on. The default rethrows. */
    private readonly failed: (error: unknown) => void = (error) => {
      throw error;
    },
  ) {
    this.buckets = Array.from({ length: slots }, () => new Set<WheelTimer>());
    this.currentTick = Math.floor(now() / tickMs);
  }

  get scheduled(): number {
    return this.size;
  }

  start(): void {
    if (this.interval) return;
    // Catch up rather than jump: timers scheduled before start() fire on time.
    this.advance(this.now());
    this.interval = setInterval(() => this.tick(), this.tickMs);
    this.interval.unref();
  }

  /**
   * After a stall (the process stopped, its VM paused), the bytes that
   * arrived meanwhile wait in the sockets, unread, while the steady clock says
   * every deadline passed. setImmediate runs after this loop turn's I/O, so
   * those bytes count before any idle check judges their connection.
   */
  private tick(): void {
    const now = this.now();
    if (Math.floor(now / this.tickMs) - this.currentTick > STALL_TICKS) {
      setImmediate(() => this.advance(this.now()));
      return;
    }
    this.advance(now);
  }

  stop(): void {
    clearInterval(this.interval);
    this.interval = undefined;
  }

  schedule(timer: WheelTimer, dueAt: number): void {
    this.cancel(timer);
    // Never in the tick being processed: a timer due "now" fires on the next tick.
    timer.dueTick = Math.max(Math.ceil(dueAt / this.tickMs), this.currentTick + 1);
    const bucket = this.buckets[timer.dueTick % this.buckets.length] as Set<WheelTimer>;
    bucket.add(timer);
    timer.bucket = bucket;
    this.size++;
  }

  cancel(timer: WheelTimer): void {
    if (timer.bucket?.delete(timer)) this.size--;
    timer.bucket = undefined;
  }

  /** Processes every tick up to `now`; exposed for tests that drive time by hand. */
  advance(now: number): void {
    const target = Math.floor(now / this.tickMs);
    while (this.currentTick < target) {
      const tick = ++this.currentTick;
      const bucket = this.buckets[tick % this.buckets.length] as Set<WheelTimer>;
      for (const timer of bucket) {
        if (timer.dueTick > tick) continue;
        this.cancel(timer);
        let next: number | undefined;
        try {
          next = timer.fire(now);
        } catch (error) {
          // Runs in the wheel's interval: unreported, one plugin timer would end the process.
          this.failed(error);
          continue;
        }
        if (next !== undefined) this.schedule(timer, next);
      }
    }
  }
}
