import "reflect-metadata";
import { readFileSync } from "node:fs";
import test from "ava";
import { generateVectors } from "../../scripts/vectors/generate.js";

const root = new URL("../../../", import.meta.url);

test("docs/test-vectors.json is what the code produces today (run `npm run vectors` after a protocol change)", (t) => {
  const stored: unknown = JSON.parse(readFileSync(new URL("docs/test-vectors.json", root), "utf8"));
  t.deepEqual(stored, JSON.parse(JSON.stringify(generateVectors())));
});

test("the vectors are deterministic", (t) => {
  t.deepEqual(generateVectors(), generateVectors());
});
