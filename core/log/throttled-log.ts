import type { Logger } from "./logger.js";

/**
 * A warning that may fire once per request during an outage: logged at most
 * once per `intervalMs`, with the number of occurrences folded into it.
 */
export function throttledWarn(log: Logger, intervalMs: number, now: () => number = Date.now) {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (fields: object, message: string): void => {
    const at = now();
    if (at - last < intervalMs) {
      suppressed++;
      return;
    }
    last = at;
    log.warn({ ...fields, suppressed }, message);
    suppressed = 0;
  };
}
