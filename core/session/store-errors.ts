/** The session store failed or did not answer in time. Handlers answer STORE_UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

/**
 * What a store error says when the store refuses this node for good (a wrong
 * or missing password, an ACL that denies, a database that does not exist),
 * or undefined for errors an outage explains. Such a refusal is the store
 * URL's mistake and does not end by waiting.
 */
export function storeRefusal(error: unknown): string | undefined {
  for (let at = error, depth = 0; at instanceof Error && depth < 5; at = at.cause, depth++) {
    const word = /^(WRONGPASS|NOAUTH|NOPERM)\b/.exec(at.message)?.[1];
    if (word !== undefined) return word;
    if (/DB index is out of range|invalid DB index/i.test(at.message)) return "no such database";
    if (/called without any password configured/.test(at.message)) return "a password given to a Redis that has none";
  }
  return undefined;
}
