import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import test from "ava";

const root = new URL("../../../", import.meta.url);
const manifest = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as {
  exports: Record<string, { types: string; default: string }>;
};

/** What `npm pack` would put in the tarball (the build itself is prepack's job, not this test's). */
async function packedFiles(): Promise<Set<string>> {
  const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
  });
  const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  return new Set(pack.files.map((file) => file.path));
}

test("the published package holds every file its exports point at, sources and build, and no tests", async (t) => {
  const files = await packedFiles();
  const plugins = readdirSync(new URL("plugins/", root), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  t.true(plugins.length >= 3);
  const targets = Object.values(manifest.exports).flatMap((target) => [target.types, target.default]);
  t.true(targets.length >= 6);
  for (const target of targets) {
    const paths = target.includes("*") ? plugins.map((name) => target.replace("*", name)) : [target];
    for (const path of paths) t.true(files.has(path.replace(/^\.\//, "")), `${path} is not in the package`);
  }
  t.true(files.has("build/core/main.js"), "the server entry point");
  t.true(files.has("proto/mpush/v1/command.proto"), "the .proto files, for clients in other languages");
  t.false(
    [...files].some((file) => file.startsWith("build/test/") || file.startsWith("test/") || file.startsWith("bench/")),
  );
});

test("the client entry, imported by package name, gives what a client of a plugin needs", async (t) => {
  const client = await import("mpush-ts/client");
  t.is(typeof client.MPushClient, "function");
  t.is(client.Command.OK, 11);
  t.is(
    client.OkReply.decode(client.OkReply.encode({ command: client.Command.HANDSHAKE, data: "hi" }).finish()).data,
    "hi",
  );
  t.is(typeof client.ErrorReply.decode, "function");
  t.is(client.ErrorCode.SESSION_REQUIRED, 107);
});
