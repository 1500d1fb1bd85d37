// The public API: the only module a plugin or an embedding application imports.
import "reflect-metadata";

// Not tsyringe's @singleton: it registers in the process-wide root container, so two servers in
// one process would share the instance. A plugin registers its singletons in the container it is given.
export { type DependencyContainer, inject, injectable, Lifecycle } from "tsyringe";
export {
  BUILTIN_PLUGINS,
  CONFIG,
  type ConfigInput,
  DEFAULT_CONFIG,
  type PluginSpec,
  type ServerConfig,
} from "./config/config.js";
export { ENVIRONMENT, type LoadConfigOptions, loadConfig } from "./config/load-config.js";
export type { Connection } from "./connection/connection.js";
export { ConnectionRegistry } from "./connection/connection-registry.js";
export { IDENTITY_KEY, IdentityKey } from "./crypto/identity-key.js";
export type { Access, CommandHandler, HandlerContext, HandlesOptions } from "./dispatch/command-handler.js";
export { HANDLERS } from "./dispatch/command-handler.js";
export { HandlerTimeoutError } from "./dispatch/handler-deadline.js";
export { Handles } from "./dispatch/handles.decorator.js";
/** Registers handler classes in a plugin's container: `registerHandlers(container, A, B)`. */
export { registerHandlers } from "./dispatch/register-handlers.js";
export { heartbeat, ok, type Reply, reply } from "./dispatch/reply.js";
export { ConnectionClosedError } from "./dispatch/request-context.js";
export {
  BootError,
  ConfigError,
  HandlerRegistrationError,
  KeyFileError,
  ListenError,
  PluginDependencyError,
  PluginLoadError,
} from "./errors/boot-errors.js";
export { createLogger, LOGGER, type Logger } from "./log/logger.js";
export { HOOK_NAMES, type HookName, type HookSignatures, Hooks } from "./plugin/hooks.js";
export { definePlugin, type Plugin, type PluginContext } from "./plugin/plugin.js";
export { Command, ErrorCode, FrameFlag, type MessageCodec, type Packet } from "./protocol/index.js";
export { ProtocolError } from "./protocol/protocol-error.js";
export { CLOCK, type Clock, systemClock } from "./runtime/clock.js";
export { TimerWheel, WheelTimer } from "./runtime/timer-wheel.js";
export { TokenBucket } from "./runtime/token-bucket.js";
export { type ListenAddress, MPushServer, type ServerOptions } from "./server/server.js";
export { HEARTBEAT_POLICY, type HeartbeatBounds, type HeartbeatPolicy } from "./session/heartbeat-policy.js";
export { KEYV } from "./session/keyv-factory.js";
export type { SessionContext } from "./session/session-context.js";
export {
  type RotateOutcome,
  type Rotation,
  SESSION_STORE,
  type SessionAllocation,
  type SessionStore,
  type StoredSession,
} from "./session/session-store.js";
export { StoreUnavailableError } from "./session/store-errors.js";
