import "reflect-metadata";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";

const root = new URL("../../../", import.meta.url);

interface Run {
  /** The exit code, or the signal that ended the script. */
  status: string;
  stdout: string;
  stderr: string;
}

const RUN_TIMEOUT_MS = 50_000;

// Asynchronous, unlike the Python test's spawnSync: javac takes a few seconds, and the worker stays responsive
// to ava's timeout meanwhile. The script runs as a process group of its own, so that a timeout ends the javac
// or java it started too, not only the shell.
function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    }, RUN_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ status: signal ? `signal ${signal}` : `exit ${code}`, stdout, stderr });
    });
  });
}

// A second independent implementation, in Java 17: only the JDK's crypto and the classes protoc generates for
// protobuf-java recompute every vector from docs/protocol.md. check-vectors.sh compiles and runs it. It needs
// openjdk-17-jdk-headless, protobuf-compiler and libprotobuf-java (scripts/test-prereqs.sh installs them); when
// they are missing the script exits 2 and this test fails, it is never skipped.
test("the Java 17 check recomputes every test vector from docs/protocol.md", async (t) => {
  const script = fileURLToPath(new URL("test/interop/java/check-vectors.sh", root));
  const vectors = fileURLToPath(new URL("docs/test-vectors.json", root));
  // The script builds under $TMPDIR. A directory of the test's own is removed even if the run is killed by
  // the timeout before the script's own cleanup.
  const tmp = await mkdtemp(join(tmpdir(), "mpush-java-vectors-test-"));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  const { status, stdout, stderr } = await run("bash", [script, vectors], { ...process.env, TMPDIR: tmp });
  t.is(status, "exit 0", `check-vectors.sh failed (${status}):\n${stdout}${stderr}`);
  t.regex(stdout, /every vector covered/);
});
