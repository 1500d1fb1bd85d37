/** Wall-clock time in ms since the epoch. Injected so tests can move time. */
export interface Clock {
  now(): number;
}

export const CLOCK: unique symbol = Symbol("mpush.Clock");

export const systemClock: Clock = { now: () => Date.now() };
