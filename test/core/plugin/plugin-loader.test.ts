import "reflect-metadata";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { PluginDependencyError, PluginLoadError } from "../../../core/errors/boot-errors.js";
import { definePlugin, type Plugin } from "../../../core/index.js";
import { isPlugin } from "../../../core/plugin/plugin.js";
import { checkOrder, loadPlugins } from "../../../core/plugin/plugin-loader.js";

/** Absolute path of a compiled fixture under build/test/fixtures/plugins/. */
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/plugins/${name}.js`, import.meta.url));

const plugin = (name: string, dependsOn?: string[]): Plugin =>
  definePlugin({ name, ...(dependsOn ? { dependsOn } : {}), register() {} });

test("checkOrder accepts dependencies that come earlier", (t) => {
  t.notThrows(() => checkOrder([plugin("a"), plugin("b", ["a"]), plugin("c", ["a", "b"])]));
});

test("a dependency listed later is a PluginDependencyError naming both", (t) => {
  const error = t.throws(() => checkOrder([plugin("b", ["a"]), plugin("a")]), { instanceOf: PluginDependencyError });
  t.is(error?.code, "MPUSH_ERR_PLUGIN_DEPENDENCY");
  t.regex(error?.message ?? "", /"b" depends on "a"/);
});

test("a missing dependency is a PluginDependencyError", (t) => {
  t.throws(() => checkOrder([plugin("a"), plugin("b", ["nowhere"])]), { instanceOf: PluginDependencyError });
});

test("a plugin cannot depend on itself", (t) => {
  t.throws(() => checkOrder([plugin("a", ["a"])]), { instanceOf: PluginDependencyError });
});

test("two plugins with one name are a PluginLoadError", (t) => {
  const error = t.throws(() => checkOrder([plugin("a"), plugin("b"), plugin("a")]), { instanceOf: PluginLoadError });
  t.is(error?.code, "MPUSH_ERR_PLUGIN_LOAD");
  t.regex(error?.message ?? "", /already loaded/);
});

test("isPlugin wants a non-empty name, a register function and string dependencies", (t) => {
  t.true(isPlugin(plugin("ok", ["x"])));
  t.false(isPlugin(undefined));
  t.false(isPlugin(null));
  t.false(isPlugin({ name: "", register() {} }));
  t.false(isPlugin({ name: "x" }));
  t.false(isPlugin({ name: "x", register: "no" }));
  t.false(isPlugin({ name: "x", register() {}, dependsOn: "heartbeat" }));
  t.false(isPlugin({ name: "x", register() {}, dependsOn: [1] }));
});

test("a plugin is loaded by absolute path, with its options", async (t) => {
  const loaded = await loadPlugins([
    "mpush-ts/plugins/heartbeat",
    { use: fixture("greeter-plugin"), options: { greeting: "hi" } },
  ]);
  t.deepEqual(
    loaded.map((l) => l.plugin.name),
    ["heartbeat", "fixture-greeter"],
  );
  t.deepEqual(loaded[1]?.options, { greeting: "hi" });
  t.is(loaded[1]?.specifier, fixture("greeter-plugin"));
});

test("a named `plugin` export is accepted", async (t) => {
  const [loaded] = await loadPlugins([fixture("named-export-plugin")]);
  t.is(loaded?.plugin.name, "fixture-named");
});

test("the built-in plugins load by package name, in their dependency order", async (t) => {
  const loaded = await loadPlugins([
    "mpush-ts/plugins/heartbeat",
    "mpush-ts/plugins/handshake",
    "mpush-ts/plugins/fast-connect",
  ]);
  t.deepEqual(
    loaded.map((l) => l.plugin.name),
    ["heartbeat", "handshake", "fast-connect"],
  );
});

test("the built-in plugins come from this installation even when the working directory has another copy", async (t) => {
  // Another copy of the package, as an application of the embedder may hold, whose heartbeat is an impostor.
  const cwd = mkdtempSync(join(tmpdir(), "mpush-plugin-cwd-"));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const copy = join(cwd, "node_modules", "mpush-ts");
  mkdirSync(join(copy, "plugins"), { recursive: true });
  writeFileSync(
    join(copy, "package.json"),
    JSON.stringify({ name: "mpush-ts", type: "module", exports: { "./plugins/*": "./plugins/*.js" } }),
  );
  writeFileSync(join(copy, "plugins", "heartbeat.js"), 'export default { name: "impostor", register() {} };\n');
  const [loaded] = await loadPlugins(["mpush-ts/plugins/heartbeat"], cwd);
  const own = (await import("mpush-ts/plugins/heartbeat")) as { default: Plugin };
  t.is(loaded?.plugin.name, "heartbeat");
  t.is(loaded?.plugin, own.default);
});

test("configured plugins in the wrong order are refused at load", async (t) => {
  await t.throwsAsync(loadPlugins(["mpush-ts/plugins/handshake", "mpush-ts/plugins/heartbeat"]), {
    instanceOf: PluginDependencyError,
  });
  await t.throwsAsync(loadPlugins([fixture("greeter-plugin")]), { instanceOf: PluginDependencyError });
});

test("a module whose default export is not a plugin is a PluginLoadError", async (t) => {
  const error = await t.throwsAsync(loadPlugins([fixture("not-a-plugin")]), { instanceOf: PluginLoadError });
  t.regex(error?.message ?? "", /not-a-plugin\.js.*default export is not a plugin/);
});

test("a module that cannot be imported is a PluginLoadError keeping the cause", async (t) => {
  const missing = await t.throwsAsync(loadPlugins([fixture("no-such-plugin")]), { instanceOf: PluginLoadError });
  t.truthy(missing?.cause);
  const broken = await t.throwsAsync(loadPlugins([fixture("throws-on-import")]), { instanceOf: PluginLoadError });
  t.regex(String((broken?.cause as Error | undefined)?.message), /fixture exploded on import/);
  await t.throwsAsync(loadPlugins(["no-such-package-anywhere"]), { instanceOf: PluginLoadError });
});

test("a module that throws null on import is still a PluginLoadError naming it", async (t) => {
  const error = await t.throwsAsync(loadPlugins([fixture("throws-null-on-import")]), { instanceOf: PluginLoadError });
  t.regex(error?.message ?? "", /throws-null-on-import.*it threw null/);
});

test("a bare name that is a file in the working directory fails as a package, and the error says to write ./", async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), "mpush-bare-name-"));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  mkdirSync(join(cwd, "my-plugins"));
  writeFileSync(join(cwd, "my-plugins", "kv.js"), "export default { name: 'kv', register() {} };\n");
  const bare = await t.throwsAsync(loadPlugins(["my-plugins/kv.js"], cwd), { instanceOf: PluginLoadError });
  t.regex(bare?.message ?? "", /write "\.\/my-plugins\/kv\.js" to load that file/);
  const unknown = await t.throwsAsync(loadPlugins(["my-plugins/none.js"], cwd), { instanceOf: PluginLoadError });
  t.notRegex(unknown?.message ?? "", /"\.\//);
});
