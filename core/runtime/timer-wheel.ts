/**
 * One timer for every connection of a server: a hashed wheel of `slots`
 * buckets, each `tickMs` wide. A timer sits in the bucket of its due tick; a
 * tick visits one bucket, so the cost per tick is the timers due (plus those a
 * whole revolution away), not the number of connections.
 *
 * A bucket is a circular list through the timers themselves, not a Set:
 * through Sets that a timer per connection passes through, the timers, and
 * the connections their callbacks hold, survived young-generation GCs and
 * were freed only by full GCs, as with a Map (connection-registry.ts says
 * why). An unlinked timer lets go of its neighbours, so that a dead one in
 * the old generation keeps nothing alive.
 */
class Link {
  /** @internal */ prev: Link | undefined;
  /** @internal */ next: Link | undefined;
}

export class WheelTimer extends Link {
  /** @internal */ dueTick = 0;

  /** `fire` returns the next due time (ms) to stay scheduled, or undefined to stop. */
  constructor(readonly fire: (now: number) => number | undefined) {
    super();
  }
}

/** A bucket's head: a link that is no timer, pointing to itself while the bucket is empty. */
function emptyList(): Link {
  const head = new Link();
  head.prev = head;
  head.next = head;
  return head;
}

function append(head: Link, link: Link): void {
  const last = head.prev as Link;
  link.prev = last;
  link.next = head;
  last.next = link;
  head.prev = link;
}

/** False when `link` was in no list. */
function unlink(link: Link): boolean {
  const { prev, next } = link;
  if (prev === undefined || next === undefined) return false;
  prev.next = next;
  next.prev = prev;
  link.prev = undefined;
  link.next = undefined;
  return true;
}

/** Moves every link of `from` to a new list, leaving `from` empty. */
function takeAll(from: Link): Link {
  const taken = emptyList();
  if (from.next === from) return taken;
  taken.next = from.next as Link;
  taken.prev = from.prev as Link;
  taken.next.prev = taken;
  taken.prev.next = taken;
  from.next = from;
  from.prev = from;
  return taken;
}

/** More ticks behind than this at once, and the process was not running: let I/O be read first. */
const STALL_TICKS = 2;

export class TimerWheel {
  private readonly buckets: Link[];
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
    this.buckets = Array.from({ length: slots }, emptyList);
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
    this.insert(timer);
  }

  cancel(timer: WheelTimer): void {
    if (unlink(timer)) this.size--;
  }

  private insert(timer: WheelTimer): void {
    append(this.buckets[timer.dueTick % this.buckets.length] as Link, timer);
    this.size++;
  }

  /** Processes every tick up to `now`; exposed for tests that drive time by hand. */
  advance(now: number): void {
    const target = Math.floor(now / this.tickMs);
    while (this.currentTick < target) {
      const tick = ++this.currentTick;
      // Taken out first: a timer firing may schedule or cancel any other, in this bucket too.
      const bucket = this.buckets[tick % this.buckets.length] as Link;
      const due = takeAll(bucket);
      try {
        this.fireDue(due, tick, now);
      } finally {
        // Left only when a timer's error escaped: the rest stay scheduled, as they were.
        while (due.next !== due) {
          const timer = due.next as Link;
          unlink(timer);
          append(bucket, timer);
        }
      }
    }
  }

  private fireDue(due: Link, tick: number, now: number): void {
    while (due.next !== due) {
      const timer = due.next as WheelTimer;
      this.cancel(timer);
      if (timer.dueTick > tick) {
        this.insert(timer);
        continue;
      }
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
