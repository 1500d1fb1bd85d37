/** One host: a name, an IPv4 address or a bracketed IPv6 address, with an optional port. */
const HOST = String.raw`(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d+)?`;
/** What a store URL may show after its credentials: hosts (a cluster's, comma-separated) and a database. */
const SHOWN = new RegExp(String.raw`^${HOST}(?:\s*,\s*${HOST})*(?:/\d*)?$`);
/** "redis:", "redis://", or "redis//" (a missing colon is the very typo a boot error is about). */
const SCHEME = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/*|rediss?(?:\+cluster)?\/\/)/i;

/**
 * A store URL fit for logs and boot errors. Credentials (everything up to the
 * last "@", which may hold "/", "@", "?" or a line break) become "***", and of
 * the rest only what reads as hosts and a database number is shown: a mistyped
 * URL is quoted in the boot error that refuses it, and whatever else it holds
 * (a query, a fragment, a password where the port belongs, a password pasted
 * alone) may be a secret.
 */
export function redactUrl(text: string): string {
  const url = text.trim();
  if (url === "memory") return url;
  const scheme = SCHEME.exec(url)?.[0] ?? "";
  const rest = url.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  const after = at >= 0 ? rest.slice(at + 1) : rest;
  // A query or fragment is never read (the store URL refuses one) and never shown.
  const cut = after.search(/[?#]/);
  const hosts = cut >= 0 ? after.slice(0, cut) : after;
  const tail = cut >= 0 ? `${after[cut]}***` : "";
  // Without a scheme or an "@", a lone word may be a password pasted in the wrong place.
  const readable = (scheme !== "" || at >= 0) && SHOWN.test(hosts);
  const shown = readable ? `${hosts}${tail}` : "***";
  return at >= 0 ? `${scheme}***@${shown}` : `${scheme}${shown}`;
}
