export interface Clock {
  /**
   * Wall-clock ms since the epoch: what is stored, shared between nodes and
   * compared with clients (session expiry, FAST_CONNECT timestamps).
   */
  now(): number;
  /**
   * Ms that only ever move forward, at a steady rate, whatever is done to the
   * wall clock (an NTP step, a VM resumed from a snapshot): every duration the
   * process measures on its own (deadlines, idle checks, rate limits, the
   * timer wheel). Epoch-based, so it reads like now() until the wall clock is
   * stepped; after a step, a wall-clock wheel would stall its timers or close
   * every idle-checked connection at once.
   */
  steady(): number;
}

export const CLOCK: unique symbol = Symbol("mpush.Clock");

export const systemClock: Clock = {
  now: () => Date.now(),
  steady: () => performance.timeOrigin + performance.now(),
};
