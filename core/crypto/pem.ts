const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----\r?\n?/g;

export interface PemBlock {
  /** The whole block, BEGIN and END lines included. */
  readonly block: string;
  readonly label: string;
  /** The base64 between the lines. */
  readonly body: string;
}

/** Every PEM block in a text, in order; a key file or `.pub` may hold more than one. */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(PEM_BLOCK)].map(([block, label, body]) => ({
    block,
    label: label as string,
    body: body as string,
  }));
}

/** The input as PEM text: a string, or bytes that hold one (a `.pub` file read without an encoding). */
export function pemText(input: string | Uint8Array): string | undefined {
  if (typeof input === "string") return input;
  if (input.length === 32) return undefined;
  const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("utf8");
  return text.includes("-----BEGIN ") ? text : undefined;
}
