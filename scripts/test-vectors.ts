import { writeFileSync } from "node:fs";
import { generateVectors } from "./vectors/generate.js";

// `npm run vectors`: rewrites docs/test-vectors.json. test/docs/test-vectors.test.ts fails when it is stale.
const file = new URL("../../docs/test-vectors.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(generateVectors(), null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}\n`);
