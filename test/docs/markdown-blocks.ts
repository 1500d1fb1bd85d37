/**
 * The machine-checked parts of docs/protocol.md: a fenced block right after
 * `<!-- hexdump: path -->` (hexdump -C style lines: offset, up to 16 bytes,
 * ASCII) or `<!-- values: section -->` (lines `name = value`). `path` and
 * `section` are dotted paths into docs/test-vectors.json.
 */
export interface MarkedBlock {
  readonly kind: "hexdump" | "values";
  readonly path: string;
  readonly lines: string[];
}

export function markedBlocks(markdown: string): MarkedBlock[] {
  const blocks: MarkedBlock[] = [];
  const pattern = /<!-- (hexdump|values): ([\w.]+) -->\n```text\n([\s\S]*?)\n```/g;
  for (const match of markdown.matchAll(pattern)) {
    blocks.push({
      kind: match[1] as MarkedBlock["kind"],
      path: match[2] as string,
      lines: (match[3] as string).split("\n"),
    });
  }
  return blocks;
}

/** The bytes of a hexdump block; the ASCII column is ignored, offsets must run on. */
export function hexdumpBytes(lines: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  let expected = 0;
  for (const line of lines) {
    const offset = Number.parseInt(line.slice(0, 4), 16);
    if (offset !== expected) throw new Error(`hexdump line "${line}" should start at ${expected.toString(16)}`);
    const bytes = line
      .slice(6, 6 + 47)
      .trim()
      .split(/ +/)
      .filter(Boolean);
    parts.push(Buffer.from(bytes.join(""), "hex"));
    expected += bytes.length;
  }
  return Buffer.concat(parts);
}

/** `name = value` lines of a values block. */
export function valueLines(lines: readonly string[]): [string, string][] {
  return lines.map((line) => {
    const match = /^([\w.]+) += (\S+)$/.exec(line);
    if (!match) throw new Error(`values line "${line}" is not "name = value"`);
    return [match[1] as string, match[2] as string];
  });
}

export function valueAt(root: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
}
