/** "host:port", with an IPv6 address in brackets (RFC 3986) so the port stays unambiguous. */
export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
