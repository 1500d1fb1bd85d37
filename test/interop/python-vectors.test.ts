import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import test from "ava";

const root = new URL("../../../", import.meta.url);

// An independent implementation: Python's stdlib, `cryptography` and protoc-generated classes recompute
// every vector from docs/protocol.md. It needs python3-cryptography, python3-protobuf and
// protobuf-compiler (.ci/run installs them); when they are missing this test fails, it is never skipped.
test("the Python check recomputes every test vector from docs/protocol.md", (t) => {
  const script = fileURLToPath(new URL("test/interop/python/check_vectors.py", root));
  const vectors = fileURLToPath(new URL("docs/test-vectors.json", root));
  const run = spawnSync("/usr/bin/python3", [script, vectors], { encoding: "utf8", timeout: 50_000 });
  t.is(run.error, undefined, `cannot run /usr/bin/python3: ${run.error?.message}`);
  t.is(run.status, 0, `check_vectors.py failed:\n${run.stdout}${run.stderr}`);
  t.regex(run.stdout, /every vector covered/);
});
