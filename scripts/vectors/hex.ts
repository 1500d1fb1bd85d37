/** Byte strings in the vectors are lowercase hex. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

/** The generator checks the client and server halves agree; a disagreement is a bug, never a vector. */
export function assertSameBytes(what: string, a: Uint8Array, b: Uint8Array): void {
  if (!Buffer.from(a).equals(Buffer.from(b))) throw new Error(`test vectors: ${what} differs between the two sides`);
}
