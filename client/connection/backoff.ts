export interface BackoffPolicy {
  /** First delay, ms. */
  readonly baseMs: number;
  readonly factor: number;
  /** Upper bound, ms. */
  readonly maxMs: number;
  /** 0..1: each delay is spread uniformly over +/- this fraction, so a node's clients do not return in step. */
  readonly jitter: number;
}

/** goim's policy: 3 s, x1.8, +/-30 %, at most 5 min. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 3000, factor: 1.8, maxMs: 300_000, jitter: 0.3 };

/**
 * Delay before reconnect attempt `attempt` (0-based; Infinity gives the capped
 * delay): base x factor^attempt, spread by the jitter, and never above maxMs,
 * jitter included (at the cap the spread is only downwards, so clients stay
 * spread out).
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  // Not base x factor^Infinity: with factor 1 that is NaN (1 ** Infinity), and a NaN delay fires at once.
  const raw =
    attempt === Number.POSITIVE_INFINITY
      ? policy.maxMs
      : Math.min(policy.maxMs, policy.baseMs * policy.factor ** attempt);
  const spread = raw * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(policy.maxMs, Math.round(raw + spread)));
}
