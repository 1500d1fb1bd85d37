/**
 * A store URL fit for logs and boot errors: everything between "//" and the
 * last "@" (user and password, which may hold "/" or "@" themselves) becomes "***".
 */
export function redactUrl(url: string): string {
  return url.replace(/\/\/.*@/, "//***@");
}
