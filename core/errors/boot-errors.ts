import { hostPort } from "../runtime/host-port.js";

/**
 * Faults found while the server boots: bad configuration, a plugin that cannot
 * be loaded, a handler table that does not add up. The server refuses to start.
 * `code` is stable and documented (README, "Boot errors").
 */
export class BootError extends Error {
  override readonly name: string = "BootError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}

export class ConfigError extends BootError {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super("MPUSH_ERR_CONFIG", `invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

export class PluginLoadError extends BootError {
  override readonly name = "PluginLoadError";
  constructor(specifier: string, reason: string, cause?: unknown) {
    super("MPUSH_ERR_PLUGIN_LOAD", `cannot load plugin "${specifier}": ${reason}`, { cause });
  }
}

export class PluginDependencyError extends BootError {
  override readonly name = "PluginDependencyError";
  constructor(plugin: string, missing: string) {
    super("MPUSH_ERR_PLUGIN_DEPENDENCY", `plugin "${plugin}" depends on "${missing}", which is not loaded before it`);
  }
}

/** The identity key file cannot be read, created, or parsed as an Ed25519 private key. */
export class KeyFileError extends BootError {
  override readonly name = "KeyFileError";
  constructor(file: string, reason: string, cause?: unknown) {
    super("MPUSH_ERR_KEY_FILE", `key file ${file} ${reason}`, { cause });
  }
}

/** The listener cannot bind: the port is taken, the address is not this host's, or the name does not resolve. */
export class ListenError extends BootError {
  override readonly name = "ListenError";
  constructor(host: string, port: number, cause: unknown) {
    super("MPUSH_ERR_LISTEN", `cannot listen on ${hostPort(host, port)}`, { cause });
  }
}

export class HandlerRegistrationError extends BootError {
  override readonly name = "HandlerRegistrationError";
}
