import type { DependencyContainer } from "tsyringe";
import type { ServerConfig } from "../config/config.js";
import type { Logger } from "../log/logger.js";

export interface PluginContext {
  readonly config: ServerConfig;
  /** The `options` given with this plugin in the configuration, as is. */
  readonly options: unknown;
  /** A logger bound to the plugin's name. */
  readonly log: Logger;
}

/**
 * A plugin registers handlers (`container.register(HANDLERS, { useClass })`)
 * and services in the container it is given: its server's own child container.
 * It does no I/O in register(); what needs I/O belongs in a hook (onListen) or
 * in a service constructed on first use.
 */
export interface Plugin {
  readonly name: string;
  readonly version?: string;
  /** Plugins that must be loaded before this one (names). */
  readonly dependsOn?: readonly string[];
  register(container: DependencyContainer, context: PluginContext): void | Promise<void>;
}

/** Identity, for type inference: `export default definePlugin({...})`. */
export function definePlugin<P extends Plugin>(plugin: P): P {
  return plugin;
}

export function isPlugin(value: unknown): value is Plugin {
  const p = value as Partial<Plugin> | undefined;
  return (
    typeof p === "object" &&
    p !== null &&
    typeof p.name === "string" &&
    p.name !== "" &&
    typeof p.register === "function" &&
    (p.dependsOn === undefined || (Array.isArray(p.dependsOn) && p.dependsOn.every((d) => typeof d === "string")))
  );
}
