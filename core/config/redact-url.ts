/**
 * A store URL fit for logs and boot errors: everything between the scheme and
 * the last "@" (user and password, which may hold "/", "@" or a line break
 * themselves) becomes "***", whether or not the scheme is followed by "//",
 * since a mistyped URL is quoted in the boot error that refuses it.
 */
export function redactUrl(text: string): string {
  // A query is never read (the store URL refuses one), but a password may be written there.
  const url = text.replace(/\?.*$/s, "?***");
  const at = url.lastIndexOf("@");
  // No "@": a "port" that is not a number is a password whose host was forgotten (redis://user:pw).
  if (at < 0) return url.replace(/^(rediss?:\/\/[^/:,]*):([^/,]*[^\d/,][^/,]*)(?=\/|$)/, "$1:***");
  // "redis:", "redis://", or "redis//" (a missing colon is the very typo the error is about).
  const scheme = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/*|rediss?(?:\+cluster)?\/\/)/.exec(url)?.[0] ?? "";
  return `${scheme}***${url.slice(at)}`;
}
