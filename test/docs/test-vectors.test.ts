import "reflect-metadata";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import test from "ava";
import { encodeFrame, heartbeatFrame } from "../../core/protocol/frame-encoder.js";
import { Command, ErrorCode, ErrorReply, encodeMessage } from "../../core/protocol/index.js";
import { generateVectors } from "../../scripts/vectors/generate.js";
import { hexdumpBytes, markedBlocks, valueAt, valueLines } from "./markdown-blocks.js";

const root = new URL("../../../", import.meta.url);

test("docs/test-vectors.json is what the code produces today (run `npm run vectors` after a protocol change)", (t) => {
  const stored: unknown = JSON.parse(readFileSync(new URL("docs/test-vectors.json", root), "utf8"));
  t.deepEqual(stored, JSON.parse(JSON.stringify(generateVectors())));
});

test("the vectors are deterministic", (t) => {
  t.deepEqual(generateVectors(), generateVectors());
});

const protocol = readFileSync(new URL("docs/protocol.md", root), "utf8");
const blocks = markedBlocks(protocol);

test("docs/protocol.md shows the heartbeat, the ERROR for cmd 99 seq 7 and a HANDSHAKE frame", (t) => {
  const dumps = blocks.filter((b) => b.kind === "hexdump").map((b) => b.path);
  for (const required of [
    "frames.heartbeat.reply",
    "frames.unsupported_command.reply_frame",
    "handshake.request_frame",
  ]) {
    t.true(dumps.includes(required), `no hexdump of ${required}`);
  }
});

test("every hex dump in docs/protocol.md is what the encoder produces", (t) => {
  const vectors = generateVectors();
  const dumps = blocks.filter((b) => b.kind === "hexdump");
  t.true(dumps.length >= 3);
  for (const { path, lines } of dumps) {
    const expected = valueAt(vectors, path);
    t.is(typeof expected, "string", `${path} is not a byte string of the vectors`);
    t.is(hexdumpBytes(lines).toString("hex"), String(expected), `hexdump of ${path}`);
  }
  // The vectors' frames come from the encoder; the heartbeat is its single byte.
  t.is(valueAt(vectors, "frames.heartbeat.reply"), heartbeatFrame().toString("hex"));
  const error = Buffer.from(vectors.frames.unsupported_command.reply_frame, "hex");
  t.deepEqual(
    error,
    encodeFrame(
      Command.ERROR,
      0,
      7,
      encodeMessage(ErrorReply, { command: 99, code: ErrorCode.UNSUPPORTED_CMD, reason: "unsupported command 99" }),
    ),
  );
});

test("every key value quoted in docs/protocol.md is the vectors' value", (t) => {
  const vectors = generateVectors();
  const values = blocks.filter((b) => b.kind === "values");
  t.true(values.length >= 3);
  for (const { path, lines } of values) {
    for (const [name, value] of valueLines(lines)) {
      t.is(value, String(valueAt(vectors, `${path}.${name}`)), `${path}.${name}`);
    }
  }
});

/** Hex in protocol.md that is a fixed encoding, not key material: each is checked by the test after the next. */
const ED25519_SPKI_PREFIX = "302a300506032b6570032100";

test("every hex string in docs/protocol.md's prose and unmarked blocks is one of the vectors' values", (t) => {
  // Hex dumps are checked above, line by line; anything else that looks like key material must come from the vectors.
  const prose = protocol.replace(/<!-- hexdump: [\w.]+ -->\n```text\n[\s\S]*?\n```/g, "");
  const known = JSON.stringify(generateVectors()) + ED25519_SPKI_PREFIX;
  const quoted = [...prose.matchAll(/(?<![0-9a-fA-F])[0-9a-f]{16,}(?![0-9a-fA-F])/g)].map((match) => match[0]);
  t.true(quoted.length >= 10);
  for (const hex of quoted) t.true(known.includes(hex), `${hex} is in no vector`);
});

test("the DER prefix protocol.md gives for a pinned key makes the raw key an Ed25519 SubjectPublicKeyInfo", (t) => {
  t.true(protocol.includes(ED25519_SPKI_PREFIX));
  const raw = generateVectors().server.identity_public_key;
  const key = createPublicKey({ key: Buffer.from(ED25519_SPKI_PREFIX + raw, "hex"), format: "der", type: "spki" });
  t.is(key.asymmetricKeyType, "ed25519");
  t.is(Buffer.from(key.export({ format: "jwk" }).x as string, "base64url").toString("hex"), raw);
});
