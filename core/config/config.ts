/** A plugin to load: a specifier alone, or with options handed to its register(). */
export type PluginSpec = string | { readonly use: string; readonly options?: unknown };

export interface HeartbeatConfig {
  /** Server bounds for the negotiated interval, ms. */
  readonly minMs: number;
  readonly maxMs: number;
  /** Close after this many consecutive intervals without any inbound byte (MPush: 3). */
  readonly maxMissed: number;
  /** Slack added to the idle limit for network jitter, ms. */
  readonly graceMs: number;
}

export interface SessionConfig {
  /** "memory", or a redis:// / rediss:// URL; "redis+cluster://[user:pass@]h1:p1,h2:p2" (rediss+cluster: TLS) for Redis Cluster. */
  readonly store: string;
  /** Sliding lifetime of a resumable session, ms (MPush: 1 day). */
  readonly ttlMs: number;
  /** Absolute cap from the first HANDSHAKE, however often it is resumed, ms. */
  readonly maxLifetimeMs: number;
  /** Deadline for one store operation, ms; past it FAST_CONNECT gets STORE_UNAVAILABLE and HANDSHAKE an empty session id. */
  readonly storeTimeoutMs: number;
  /** FAST_CONNECT timestamps further than this from server time are refused, ms. */
  readonly replayWindowMs: number;
  /** Key prefix inside the store. */
  readonly namespace: string;
  /**
   * On a single Redis: how many records this node wrote are also kept in its
   * memory, so a resume that lands on the node that issued the session skips
   * the read (record-cache.ts); the oldest go first. 0 disables.
   */
  readonly cacheRecords: number;
  /**
   * With the in-process store: entries (session records and device pointers)
   * held at most. Past it nothing new is stored, as on a full Redis with
   * noeviction: a HANDSHAKE goes on without a resumable session, while a
   * resume, which replaces its record, goes on. Expired entries leave at the
   * minute's sweep. 0: no limit.
   */
  readonly memoryMaxEntries: number;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Largest body accepted, before and after inflating (default 64 KiB). */
  readonly maxBodyBytes: number;
  /** Outbound bodies larger than this are deflated; 0 disables. */
  readonly compressThresholdBytes: number;
  /** What an unknown command gets: an ERROR reply ("reply"), or the reply and a close ("close", MPush's behaviour). */
  readonly unknownCommand: "reply" | "close";
  /**
   * Connections held at once; past it a newcomer is closed as soon as it is
   * accepted, before any byte. 0: what fits under the process's open-files
   * limit (open-files-limit.ts), or no limit where that cannot be read.
   */
  readonly maxConnections: number;
  /**
   * Full HANDSHAKEs accepted per second, with a second's worth as the burst;
   * past it HANDSHAKE is answered OVERLOADED. FAST_CONNECT is not limited.
   * 0: no limit.
   */
  readonly handshakesPerSecond: number;
  /**
   * ERRORs a connection without a session may be answered; the last of them
   * closes it. An honest client needs three at most (FAST_CONNECT refused as
   * REPLAYED, its one retry refused, then a refused HANDSHAKE), while each
   * refusal may cost a store read. 0 (no limit) or at least 3.
   */
  readonly maxErrorsBeforeSession: number;
  /** A connection without a session after this long is closed, ms. */
  readonly establishTimeoutMs: number;
  /**
   * An async handler that has not settled after this long is answered
   * ERROR(DISPATCH_ERROR) and its connection's next packet is served; its late
   * reply is dropped. 0: no limit.
   */
  readonly handlerTimeoutMs: number;
  /** Granularity of the idle sweep, ms. */
  readonly sweepIntervalMs: number;
  /** Inbound frames queued per connection before its socket is paused. */
  readonly maxQueuedFrames: number;
  /** Unsent outbound bytes per connection before reading from it is paused. */
  readonly maxOutboundBytes: number;
  /** How long a closing connection (or the server's close()) may take to answer and flush before it is destroyed, ms. */
  readonly shutdownGraceMs: number;
  /** The server's Ed25519 identity key (PEM); created on first start when missing. */
  readonly keyFile: string;
  /**
   * Whether a missing key file is created. Off, a node whose key file is
   * missing refuses to boot instead of making a key of its own, which would
   * split a cluster: its clients pin the others' key.
   */
  readonly createKeyFile: boolean;
  readonly heartbeat: HeartbeatConfig;
  readonly session: SessionConfig;
  readonly plugins: readonly PluginSpec[];
  readonly logLevel: string;
}

export const CONFIG: unique symbol = Symbol("mpush.ServerConfig");

/** This package's name, as its own modules are imported by. */
export const PACKAGE_NAME = "mpush-ts";

export const BUILTIN_PLUGINS: readonly string[] = [
  `${PACKAGE_NAME}/plugins/heartbeat`,
  `${PACKAGE_NAME}/plugins/handshake`,
  `${PACKAGE_NAME}/plugins/fast-connect`,
];

export const DEFAULT_CONFIG: ServerConfig = {
  host: "0.0.0.0",
  port: 3000,
  maxBodyBytes: 64 * 1024,
  compressThresholdBytes: 10 * 1024,
  unknownCommand: "reply",
  maxConnections: 0,
  handshakesPerSecond: 0,
  maxErrorsBeforeSession: 4,
  establishTimeoutMs: 30_000,
  handlerTimeoutMs: 30_000,
  sweepIntervalMs: 1000,
  maxQueuedFrames: 32,
  maxOutboundBytes: 1024 * 1024,
  shutdownGraceMs: 5000,
  keyFile: ".mpush/server.key",
  createKeyFile: true,
  heartbeat: { minMs: 30_000, maxMs: 180_000, maxMissed: 3, graceMs: 1000 },
  session: {
    store: "memory",
    ttlMs: 24 * 3600_000,
    maxLifetimeMs: 7 * 24 * 3600_000,
    storeTimeoutMs: 1000,
    replayWindowMs: 120_000,
    namespace: "mpush",
    cacheRecords: 100_000,
    memoryMaxEntries: 1_000_000,
  },
  plugins: BUILTIN_PLUGINS,
  logLevel: "info",
};

export type ConfigInput = {
  readonly [K in keyof ServerConfig]?: ServerConfig[K] extends readonly unknown[]
    ? ServerConfig[K]
    : ServerConfig[K] extends object
      ? Partial<ServerConfig[K]>
      : ServerConfig[K];
};
