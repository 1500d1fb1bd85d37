import type { DependencyContainer } from "tsyringe";
import type { ServerConfig } from "../config/config.js";
import { BootError, PluginLoadError } from "../errors/boot-errors.js";
import type { Logger } from "../log/logger.js";
import type { Plugin } from "../plugin/plugin.js";
import { checkOrder, type LoadedPlugin, loadPlugins } from "../plugin/plugin-loader.js";

/**
 * Loads the plugins config names, then the embedder's objects, checks their order and
 * registers each into the server's container. Returns them in the order they registered.
 */
export async function registerPlugins(
  container: DependencyContainer,
  config: ServerConfig,
  log: Logger,
  extra: readonly { plugin: Plugin; options?: unknown }[],
): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [
    ...(await loadPlugins(config.plugins)),
    ...extra.map(({ plugin, options }) => ({ plugin, options, specifier: plugin.name })),
  ];
  checkOrder(loaded.map((l) => l.plugin));
  for (const { plugin, options } of loaded) {
    try {
      await plugin.register(container, { config, options, log: log.child({ plugin: plugin.name }) });
    } catch (cause) {
      if (cause instanceof BootError) throw cause;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new PluginLoadError(plugin.name, `register() failed: ${reason}`, cause);
    }
    log.debug({ plugin: plugin.name, version: plugin.version }, "plugin registered");
  }
  return loaded;
}
