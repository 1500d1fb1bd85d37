import { spawn } from "node:child_process";
import test from "ava";

// Tiny young generation: collections run often, as in a busy server, and land inside key operations.
const SCRIPT = `
const { generateEphemeral, x25519 } = await import(${JSON.stringify(new URL("../../../core/crypto/x25519.js", import.meta.url).href)});
const { IdentityKey } = await import(${JSON.stringify(new URL("../../../core/crypto/identity-key.js", import.meta.url).href)});
const peer = generateEphemeral();
for (let i = 0; i < 20000; i++) {
  const pair = generateEphemeral();
  x25519(pair.privateKey, peer.publicKey);
  if (i % 20 === 0) IdentityKey.generate();
}
console.log("done");
`;

test("making keys never hangs the process: 20 000 ephemeral pairs and 1 000 identity keys under frequent GC", async (t) => {
  const child = spawn(process.execPath, ["--max-semi-space-size=1", "--input-type=module", "-e", SCRIPT], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  // generateKeyPairSync's job could be collected while an export held the key's lock: a deadlock, not an error.
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on("exit", (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  t.is(code, 0, "the process ended by itself");
  t.is(out.trim(), "done");
});
