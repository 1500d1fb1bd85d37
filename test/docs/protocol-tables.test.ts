import { fileURLToPath } from "node:url";
import test from "ava";
import protobuf from "protobufjs";
import { Command, ErrorCode } from "../../core/protocol/index.js";
import { DOCS, readDoc, root, type Table, tables } from "./markdown-tables.js";

const protocol = readDoc("docs/protocol.md");
const protocolTables = tables(protocol);

function tableHeaded(...header: string[]): Table {
  const found = protocolTables.find((table) => header.every((cell, i) => table.header[i] === cell));
  if (!found) throw new Error(`docs/protocol.md has no table headed ${header.join(" | ")}`);
  return found;
}

/** An enum's names and numbers, without ts-proto's UNRECOGNIZED (-1) and the reverse mapping. */
function members(enumObject: Record<string, string | number>): Map<string, number> {
  return new Map(
    Object.entries(enumObject).filter(
      (entry): entry is [string, number] => typeof entry[1] === "number" && entry[1] >= 0,
    ),
  );
}

test("protocol.md §4's command numbers and names are the Command enum's", (t) => {
  const commands = members(Command);
  const listed = new Map<string, number>();
  for (const [cmd = "", names = ""] of tableHeaded("cmd", "Name").rows) {
    // "17-22" lists one name per number; "25-99" and "100-254" name no core command.
    const named = names.split(",").map((name) => name.trim());
    if (!named.every((name) => /^[A-Z_]+$/.test(name))) continue;
    const [from, to = from] = cmd.split("-").map(Number) as [number, number?];
    t.is(named.length, to - from + 1, `cmd ${cmd}: ${names}`);
    for (const [i, name] of named.entries()) listed.set(name, from + i);
  }
  commands.delete("UNSPECIFIED"); // 0: "never sent", said in the prose
  t.deepEqual(Object.fromEntries(listed), Object.fromEntries(commands));
});

test("protocol.md §5.3's error codes and names are the ErrorCode enum's", (t) => {
  const listed = new Map<string, number>();
  for (const [code = "", name = ""] of tableHeaded("Code", "Name").rows) {
    if (/^\d+$/.test(code)) listed.set(name, Number(code));
  }
  t.deepEqual(Object.fromEntries(listed), Object.fromEntries(members(ErrorCode)));
});

test("every ERROR(NAME) in the docs, and every name in protocol.md's Error columns, is an ErrorCode", (t) => {
  const codes = members(ErrorCode);
  let seen = 0;
  for (const doc of DOCS) {
    for (const [, name = ""] of readDoc(doc).matchAll(/\bERROR\(([A-Z_]+)\)/g)) {
      seen++;
      t.true(codes.has(name), `${doc}: ERROR(${name})`);
    }
  }
  for (const table of protocolTables) {
    const column = table.header.indexOf("Error");
    if (column < 0) continue;
    for (const row of table.rows) {
      seen++;
      t.true(codes.has(row[column] as string), `protocol.md: Error column "${row[column]}"`);
    }
  }
  t.true(seen >= 20);
});

/** The wire messages, read from proto/mpush/v1/ by reflection, as a client in another language would. */
const wire = new protobuf.Root();
wire.resolvePath = (_origin, target) => fileURLToPath(new URL(`proto/${target}`, root));
wire.loadSync(
  ["command", "error", "ok", "handshake", "fast_connect"].map((name) => `mpush/v1/${name}.proto`),
  { keepCase: true },
);
const messages = new Map(
  (wire.lookup("mpush.v1") as protobuf.Namespace).nestedArray
    .filter((nested): nested is protobuf.Type => nested instanceof protobuf.Type)
    .map((type) => [type.name, type]),
);

/** Where `word` last occurs in `text` as a whole word, or -1. */
function lastWord(text: string, word: string): number {
  return Math.max(-1, ...[...text.matchAll(new RegExp(`\\b${word}\\b`, "g"))].map((match) => match.index));
}

test("every Field | Number | Type table in protocol.md is the .proto message named just before it", (t) => {
  const fieldTables = protocolTables.filter((table) => table.header.slice(0, 3).join() === "Field,Number,Type");
  t.true(fieldTables.length >= 6);
  const names = [...messages.keys()];
  for (const table of fieldTables) {
    // The nearest message name above the table: "The body is a `HandshakeRequest`:", "### 5.1 ErrorReply (cmd 10)".
    const message = names
      .map((name) => ({ name, at: lastWord(table.before, name) }))
      .filter(({ at }) => at >= 0)
      .sort((a, b) => b.at - a.at)[0]?.name;
    t.truthy(message, `no message named before the table of ${table.rows.map((row) => row[0]).join(", ")}`);
    const type = messages.get(message as string) as protobuf.Type;
    const documented = table.rows.map(([field = "", number = "", kind = ""]) => [
      field.replace(/`/g, ""),
      Number(number),
      kind.replace(/^enum /, "").replace(/`/g, ""),
    ]);
    const actual = type.fieldsArray.map((field) => [field.name, field.id, field.type]);
    t.deepEqual(documented, actual, message);
  }
});
