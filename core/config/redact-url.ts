/** A store URL fit for logs and boot errors: whatever sits between "//" and "@" (user and password) becomes "***". */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
