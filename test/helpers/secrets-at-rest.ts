/**
 * Every spelling of a secret a careless store might hold: the text itself,
 * its bytes, and their hex, base64 and base64url forms.
 */
export function spellings(label: string, value: string | Uint8Array): [string, Buffer][] {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
  const forms: [string, Buffer][] = [
    [`${label} (bytes)`, bytes],
    [`${label} (hex)`, Buffer.from(bytes.toString("hex"))],
    [`${label} (HEX)`, Buffer.from(bytes.toString("hex").toUpperCase())],
    [`${label} (base64)`, Buffer.from(bytes.toString("base64").replace(/=+$/, ""))],
    [`${label} (base64url)`, Buffer.from(bytes.toString("base64url"))],
  ];
  if (typeof value === "string" && /^[A-Za-z0-9_-]+$/.test(value)) {
    // A base64url id: also its decoded bytes and their other spellings.
    const decoded = Buffer.from(value, "base64url");
    forms.push([`${label} (decoded)`, decoded], [`${label} (decoded hex)`, Buffer.from(decoded.toString("hex"))]);
    forms.push([`${label} (decoded base64)`, Buffer.from(decoded.toString("base64").replace(/=+$/, ""))]);
  }
  return forms;
}

/** The spellings (by name) found anywhere in `haystacks`. */
export function leaks(haystacks: Iterable<Buffer | string>, needles: [string, Buffer][]): string[] {
  const found: string[] = [];
  const all = [...haystacks].map((h) => (typeof h === "string" ? Buffer.from(h) : h));
  for (const [name, needle] of needles) {
    if (needle.length < 6) continue;
    if (all.some((h) => h.includes(needle))) found.push(name);
  }
  return found;
}
