import type { Logger } from "./logger.js";

/**
 * What may happen once per connection or request, and so comes in storms (a
 * store outage, a restart's reconnects, a flood, a plugin's bug on every
 * connection), is logged once per this interval with the rest counted.
 */
export const STORM_LOG_INTERVAL_MS = 5000;

/** Runs `flush` after `ms`; the default timer does not keep the process alive. */
export type Schedule = (flush: () => void, ms: number) => void;

/** A throttled logger: call it as often as events happen; it decides what reaches the log. */
export type ThrottledLog = (fields: object, message: string) => void;

const unrefTimer: Schedule = (flush, ms) => {
  setTimeout(flush, ms).unref();
};

/**
 * A warning that may fire once per request during an outage or a storm:
 * logged at most once per `intervalMs`, with the number of occurrences folded
 * into the next line. When the storm ends inside an interval, one line at the
 * interval's end still reports what was suppressed (with the latest fields),
 * so a count is never lost: one timer per throttled warning, armed only while
 * something is held back. An `err` repeating the type and message of the one
 * last logged in full is logged without its stack until the storm ends (no
 * call for longer than `intervalMs`): an outage's stack is the same every line.
 */
export function throttledWarn(
  log: Logger,
  intervalMs: number,
  now: () => number = steadyNow,
  schedule: Schedule = unrefTimer,
): ThrottledLog {
  return throttledLog(log, "warn", intervalMs, now, schedule);
}

/** throttledWarn at another level. */
export function throttledLog(
  log: Logger,
  level: "info" | "warn" | "error",
  intervalMs: number,
  now: () => number = steadyNow,
  schedule: Schedule = unrefTimer,
): ThrottledLog {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  let held: { fields: object; message: string } | undefined;
  let lastCall = Number.NEGATIVE_INFINITY;
  let shown: { type: string; message: string } | undefined;
  const compact = (fields: object): object => {
    const { err } = fields as { err?: unknown };
    if (!(err instanceof Error)) return fields;
    // pino's err serializer names the type after the constructor, and adds the causes to the message.
    const type = err.constructor.name;
    const message = withCauses(err);
    // An AggregateError (a connect to every address of a host) says what failed only in its errors.
    const errors =
      err instanceof AggregateError ? err.errors.map((e) => (e instanceof Error ? withCauses(e) : String(e))) : [];
    const seen = [message, ...errors].join("\n");
    if (shown?.type !== type || shown.message !== seen) {
      shown = { type, message: seen };
      return fields;
    }
    const { code } = err as { code?: unknown };
    // Null prototype: pino serializes anything with a string message as an error (with an empty stack), and would type a plain object "Object".
    const brief = Object.assign(
      Object.create(null),
      { type, message },
      code === undefined ? {} : { code },
      errors.length === 0 ? {} : { errors },
    );
    return { ...fields, err: brief };
  };
  const emit = (fields: object, message: string, at: number) => {
    last = at;
    log[level]({ ...compact(fields), suppressed }, message);
    suppressed = 0;
    held = undefined;
  };
  const flush = () => {
    if (held !== undefined && suppressed > 0) emit(held.fields, held.message, now());
  };
  return (fields: object, message: string): void => {
    const at = now();
    if (at - lastCall > intervalMs) shown = undefined;
    lastCall = at;
    if (at - last >= intervalMs) {
      emit(fields, message, at);
      return;
    }
    suppressed++;
    if (held === undefined) schedule(flush, last + intervalMs - at);
    held = { fields, message };
  };
}

/** "outer: inner: innermost", as pino writes an error's message: errors with other causes are other errors. */
function withCauses(error: Error): string {
  let message = error.message;
  const seen = new Set<unknown>([error]);
  for (let cause = error.cause; cause instanceof Error && !seen.has(cause); cause = cause.cause) {
    seen.add(cause);
    message += `: ${cause.message}`;
  }
  return message;
}

/** Intervals between log lines are durations: a wall-clock step must not silence a storm's lines. */
function steadyNow(): number {
  return performance.now();
}
