import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import { pathToFileURL } from "node:url";
import { PACKAGE_NAME, type PluginSpec } from "../config/config.js";
import { PluginDependencyError, PluginLoadError } from "../errors/boot-errors.js";
import { isPlugin, type Plugin } from "./plugin.js";

export interface LoadedPlugin {
  readonly plugin: Plugin;
  readonly specifier: string;
  readonly options: unknown;
}

/**
 * Imports each configured plugin module and takes its default export (or a
 * named `plugin` export). Specifiers are absolute paths (relative ones were
 * resolved against the config file by loadConfig) or package names, resolved
 * from the working directory first so an application's own packages are found;
 * this package's own names always from this installation.
 */
export async function loadPlugins(specs: readonly PluginSpec[], cwd = process.cwd()): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const spec of specs) {
    const specifier = typeof spec === "string" ? spec : spec.use;
    const options = typeof spec === "string" ? undefined : spec.options;
    const module = await importPlugin(specifier, cwd);
    const candidate =
      (module as { default?: unknown; plugin?: unknown }).default ?? (module as { plugin?: unknown }).plugin;
    if (!isPlugin(candidate)) {
      throw new PluginLoadError(
        specifier,
        "its default export is not a plugin ({ name, register(container, context) })",
      );
    }
    loaded.push({ plugin: candidate, specifier, options });
  }
  checkOrder(loaded.map((l) => l.plugin));
  return loaded;
}

/**
 * This package's own modules (the built-in plugins) come from this very
 * installation, whatever the working directory holds: a plugin from another
 * copy of the package would register classes that this core's container does
 * not know, and the boot would fail on a missing TypeInfo.
 */
function isOwnModule(specifier: string): boolean {
  return specifier === PACKAGE_NAME || specifier.startsWith(`${PACKAGE_NAME}/`);
}

/** Names are unique, and every dependency comes earlier in the list. */
export function checkOrder(plugins: readonly Plugin[]): void {
  const seen = new Set<string>();
  for (const plugin of plugins) {
    if (seen.has(plugin.name)) throw new PluginLoadError(plugin.name, "a plugin with this name is already loaded");
    for (const dependency of plugin.dependsOn ?? []) {
      if (!seen.has(dependency)) throw new PluginDependencyError(plugin.name, dependency);
    }
    seen.add(plugin.name);
  }
}

async function importPlugin(specifier: string, cwd: string): Promise<unknown> {
  let target = specifier;
  if (isAbsolute(specifier)) {
    target = pathToFileURL(specifier).href;
  } else if (!isOwnModule(specifier)) {
    try {
      target = pathToFileURL(createRequire(join(cwd, "noop.js")).resolve(specifier)).href;
    } catch {
      // Not resolvable from cwd (or ESM-only exports): let import() resolve it from here.
    }
  }
  try {
    return await import(target);
  } catch (cause) {
    // A module may throw anything, null included.
    const reason = cause instanceof Error ? cause.message : `it threw ${String(cause)}`;
    throw new PluginLoadError(specifier, reason + fileHint(specifier, cwd), cause);
  }
}

/** A bare name is a package name, even when a file of that name sits in the working directory: say so. */
function fileHint(specifier: string, cwd: string): string {
  if (isAbsolute(specifier) || specifier.startsWith(".") || !existsSync(join(cwd, specifier))) return "";
  return `; ${join(cwd, specifier)} exists, but a name without "./" is looked up as a package: write "./${specifier}" to load that file`;
}
