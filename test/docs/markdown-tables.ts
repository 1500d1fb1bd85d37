import { readFileSync } from "node:fs";

/** The repository root, from build/test/docs/. */
export const root = new URL("../../../", import.meta.url);

/** The docs these tests hold to the code. */
export const DOCS = [
  "README.md",
  "docs/architecture.md",
  "docs/security.md",
  "docs/protocol.md",
  "docs/benchmarks.md",
  "examples/time-sync/README.md",
];

export function readDoc(path: string): string {
  return readFileSync(new URL(path, root), "utf8");
}

export interface Table {
  /** The text before the table, from the start of the document. */
  readonly before: string;
  readonly header: string[];
  readonly rows: string[][];
}

/** Every pipe table of a Markdown document; `\|` inside a cell is a literal bar. */
export function tables(markdown: string): Table[] {
  const found: Table[] = [];
  const pattern = /^\|.*\|\n\|[-:| ]+\|\n(?:\|.*\|(?:\n|$))*/gm;
  for (const match of markdown.matchAll(pattern)) {
    const [header, , ...rows] = match[0].trimEnd().split("\n").map(cells);
    found.push({ before: markdown.slice(0, match.index), header: header as string[], rows });
  }
  return found;
}

function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll("\\|", "|"));
}

/** The contents of every `code span` in `text`, outside fenced blocks too. */
export function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] as string);
}

/** The Markdown from a heading line (exact) up to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const level = heading.indexOf(" ");
  const rest = markdown.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`^#{1,${level}} `, "m"));
  return next < 0 ? rest : rest.slice(0, next);
}
