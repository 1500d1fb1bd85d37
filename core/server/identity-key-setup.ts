import type { DependencyContainer } from "tsyringe";
import type { ServerConfig } from "../config/config.js";
import { IDENTITY_KEY, IdentityKey } from "../crypto/identity-key.js";
import type { Logger } from "../log/logger.js";

/** Loads (or creates) the server's identity key unless a plugin provided one, and says what it found. */
export async function registerIdentityKey(container: DependencyContainer, config: ServerConfig, log: Logger) {
  if (container.isRegistered(IDENTITY_KEY, true)) return;
  const { key, created, exposed, publicMismatch } = await IdentityKey.loadOrCreate(
    config.keyFile,
    config.createKeyFile,
  );
  container.registerInstance(IDENTITY_KEY, key);
  if (publicMismatch) {
    log.warn(
      { keyFile: config.keyFile, fingerprint: key.fingerprint },
      "the .pub beside the identity key file is not its public half; clients pinning that file will refuse this server",
    );
  }
  if (exposed) {
    log.warn(
      { keyFile: config.keyFile },
      "identity key file is readable or writable by group or others; chmod 600 it (it keys every session record)",
    );
  }
  log.info(
    {
      keyFile: config.keyFile,
      fingerprint: key.fingerprint,
      created,
      storageId: key.storageId,
      storage: key.carriesStorage ? "carried from a previous key" : "derived from this key",
    },
    created ? "created server identity key" : "loaded server identity key",
  );
  if (created && config.session.store !== "memory") {
    // A node of a cluster that made its own key splits it: clients pinning the cluster's key refuse it.
    log.warn(
      { keyFile: config.keyFile, fingerprint: key.fingerprint },
      "created a new identity key although sessions are shared through a store: every node needs the same key file, or clients pinning the others' key refuse this node and it opens none of their sessions (MPUSH_CREATE_KEY_FILE=false makes a missing key a boot error)",
    );
  }
}
