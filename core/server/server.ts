import "reflect-metadata";
import { createServer, type Server, type Socket } from "node:net";
import { type DependencyContainer, container as rootContainer } from "tsyringe";
import { CONFIG, type ServerConfig } from "../config/config.js";
import { redactUrl } from "../config/redact-url.js";
import { ConnectionRegistry } from "../connection/connection-registry.js";
import { type ConnectionLifecycle, ServerConnection } from "../connection/server-connection.js";
import { TcpTransport } from "../connection/tcp-transport.js";
import { Dispatcher } from "../dispatch/dispatcher.js";
import { HandlerDeadline } from "../dispatch/handler-deadline.js";
import { HandlerRegistry } from "../dispatch/handler-registry.js";
import { ListenError } from "../errors/boot-errors.js";
import { createLogger, LOGGER, type Logger } from "../log/logger.js";
import { STORM_LOG_INTERVAL_MS, type ThrottledLog, throttledLog, throttledWarn } from "../log/throttled-log.js";
import { Hooks } from "../plugin/hooks.js";
import type { Plugin } from "../plugin/plugin.js";
import { CLOCK, type Clock, systemClock } from "../runtime/clock.js";
import { hostPort } from "../runtime/host-port.js";
import { defaultMaxConnections } from "../runtime/open-files-limit.js";
import { TimerWheel, WheelTimer } from "../runtime/timer-wheel.js";
import type { SessionContext } from "../session/session-context.js";
import { registerIdentityKey } from "./identity-key-setup.js";
import { registerPlugins } from "./register-plugins.js";
import { registerSessionStore } from "./session-store-setup.js";

/** Protocol violations, shorter: each names a remote worth seeing sooner. */
const VIOLATION_LOG_INTERVAL_MS = 1000;

export interface ServerOptions {
  readonly config: ServerConfig;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Plugin objects loaded after those named in config.plugins (embedding, tests). */
  readonly plugins?: readonly { plugin: Plugin; options?: unknown }[];
  /** The container this server's child container descends from; tsyringe's root by default. */
  readonly parent?: DependencyContainer;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * The composition root: one child container per server, the plugins, the
 * handler table, the TCP listener, the sweep, and an orderly shutdown. Two
 * servers in one process share nothing.
 */
export class MPushServer implements ConnectionLifecycle {
  readonly connections = new ConnectionRegistry();
  private readonly wheel: TimerWheel;
  /** One wheel timer per connection: the establish deadline, then, once close() was called, the close deadline. */
  private readonly deadlines = new WeakMap<ServerConnection, WheelTimer>();
  private dispatcher!: Dispatcher;
  private net: Server | undefined;
  private listening: ListenAddress | undefined;
  /** The one listen() in progress or done: a second call gets the same, not a second listener. */
  private starting: Promise<ListenAddress> | undefined;
  private stopping: Promise<void> | undefined;
  private nextId = 0;
  private readonly releases: (() => Promise<void> | void)[] = [];
  /** The session store as the listening line names it. */
  private storeName: string;
  /** Anyone can send garbage on as many connections as they like: the log line must not scale with it. */
  private readonly violation: ThrottledLog;

  private constructor(
    readonly config: ServerConfig,
    readonly container: DependencyContainer,
    readonly log: Logger,
    readonly hooks: Hooks,
    private readonly clock: Clock,
  ) {
    this.storeName = redactUrl(config.session.store);
    this.violation = throttledLog(log, "info", VIOLATION_LOG_INTERVAL_MS);
    const timerFailed = throttledLog(log, "error", STORM_LOG_INTERVAL_MS);
    this.wheel = new TimerWheel(
      config.sweepIntervalMs,
      () => clock.steady(),
      undefined,
      (error) => timerFailed({ err: error }, "a wheel timer threw; it is dropped and the others go on"),
    );
  }

  static async create(options: ServerOptions): Promise<MPushServer> {
    const { config } = options;
    const log = options.logger ?? createLogger(config.logLevel);
    const clock = options.clock ?? systemClock;
    const container = (options.parent ?? rootContainer).createChildContainer();
    // A plugin's bug in a hook is reported and contained, never the end of the process.
    const hookFailed = throttledLog(log, "error", STORM_LOG_INTERVAL_MS);
    const hooks = new Hooks((hook, error) => hookFailed({ hook, err: error }, "plugin hook threw; the server goes on"));
    const server = new MPushServer(config, container, log, hooks, clock);
    container.registerInstance(CONFIG, config);
    container.registerInstance(LOGGER, log);
    container.registerInstance(CLOCK, clock);
    container.registerInstance(Hooks, server.hooks);
    container.registerInstance(ConnectionRegistry, server.connections);
    container.registerInstance(TimerWheel, server.wheel);

    try {
      const loaded = await registerPlugins(container, config, log, options.plugins ?? []);
      await registerIdentityKey(container, config, log);
      server.storeName = await registerSessionStore(container, config, log, server.wheel, clock, (release) =>
        server.releases.push(release),
      );
      const registry = HandlerRegistry.fromContainer(container);
      const deadline =
        config.handlerTimeoutMs > 0
          ? new HandlerDeadline(server.wheel, config.handlerTimeoutMs, () => server.clock.steady())
          : undefined;
      server.dispatcher = new Dispatcher(registry, config, log, deadline);
      log.info({ plugins: loaded.map((l) => l.plugin.name), commands: registry.commands() }, "plugins loaded");
      if (!registry.establishesSessions()) {
        // Every connection is closed at its establish deadline, and session commands only answer SESSION_REQUIRED.
        log.warn(
          { commands: registry.unreachableSessionCommands(), establishTimeoutMs: config.establishTimeoutMs },
          "no plugin handles HANDSHAKE or FAST_CONNECT: no connection can get a session, so each is closed at establishTimeoutMs, and session commands (listed) can only answer SESSION_REQUIRED",
        );
      }
      return server;
    } catch (error) {
      // A server that failed to boot must not keep the store's connection open, nor a probe that would
      // reopen it, nor what the plugins registered so far opened: an embedder would never exit.
      await hooks.close();
      await container.dispose();
      for (const release of server.releases.reverse()) await release();
      throw error;
    }
  }

  get address(): ListenAddress | undefined {
    return this.listening;
  }

  /** Binds and runs the plugins' onListen hooks; if one fails, the port is released again and nothing is served. */
  listen(): Promise<ListenAddress> {
    // A closed server stays closed: its store and plugins are released.
    if (this.stopping) return Promise.reject(new Error("the server was closed"));
    this.starting ??= this.bind().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async bind(): Promise<ListenAddress> {
    const net = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.net = net;
    // Node closes a connection past the limit as it accepts it, before a Socket is built for it.
    const maxConnections = this.config.maxConnections || defaultMaxConnections();
    if (maxConnections !== undefined) net.maxConnections = maxConnections;
    const refused = throttledWarn(this.log, STORM_LOG_INTERVAL_MS);
    net.on("drop", (dropped?: { remoteAddress?: string }) =>
      refused({ maxConnections, remote: dropped?.remoteAddress }, "connection refused: server at maxConnections"),
    );
    await new Promise<void>((resolve, reject) => {
      const failed = (cause: Error) => reject(new ListenError(this.config.host, this.config.port, cause));
      net.once("error", failed);
      net.listen(this.config.port, this.config.host, () => {
        net.off("error", failed);
        resolve();
      });
    });
    // EMFILE and the like fail one accept each; the listener itself goes on.
    const failed = throttledWarn(this.log, STORM_LOG_INTERVAL_MS);
    net.on("error", (error) => failed({ err: error }, "accept failed"));
    const bound = net.address();
    if (bound === null || typeof bound === "string") throw new Error("listener has no TCP address");
    const listening = { host: this.config.host, port: bound.port };
    this.listening = listening;
    this.wheel.start();
    try {
      // close() came meanwhile: no further plugin is started, and listen() fails like a plugin that could not start.
      for (const hook of this.hooks.get("onListen")) if (!this.stopping) await hook(listening);
      if (this.stopping) throw new Error("the server was closed while it was starting");
    } catch (error) {
      // "A server whose plugin could not start is not started": not even listening.
      this.listening = undefined;
      this.net = undefined;
      for (const connection of this.connections.values()) connection.close("server failed to start");
      // net.close() waits for those connections; their grace deadlines need the wheel until then.
      await new Promise<void>((resolve) => net.close(() => resolve()));
      this.wheel.stop();
      throw error;
    }
    this.log.info(
      {
        host: listening.host,
        port: listening.port,
        maxConnections: maxConnections ?? "unlimited",
        store: this.storeName,
      },
      `listening on tcp://${hostPort(listening.host, listening.port)}`,
    );
    return listening;
  }

  /**
   * Stops accepting, closes every connection (flushing what is queued), then releases plugins. Idempotent.
   * A listen() in progress is let finish its onListen hooks first, then rejects.
   */
  close(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  established(connection: ServerConnection, session: SessionContext): void {
    this.cancelDeadline(connection);
    this.hooks.fire("onSessionEstablished", connection, session);
    if (this.log.isLevelEnabled("debug")) {
      this.log.debug(
        {
          connection: connection.id,
          by: session.resumed ? "FAST_CONNECT" : "HANDSHAKE",
          stored: session.sessionId !== undefined,
        },
        "session established",
      );
    }
  }

  closing(connection: ServerConnection): void {
    this.cancelDeadline(connection);
    const deadline = new WheelTimer(() => {
      this.deadlines.delete(connection);
      connection.destroy(`not closed within ${this.config.shutdownGraceMs} ms`);
      return undefined;
    });
    this.deadlines.set(connection, deadline);
    this.wheel.schedule(deadline, this.clock.steady() + this.config.shutdownGraceMs);
  }

  closed(connection: ServerConnection, reason: string): void {
    this.cancelDeadline(connection);
    this.connections.remove(connection);
    this.hooks.fire("onConnectionClose", connection, reason);
    if (this.log.isLevelEnabled("debug")) {
      this.log.debug({ connection: connection.id, remote: connection.remoteAddress, reason }, "connection closed");
    }
  }

  violated(connection: ServerConnection, error: Error): void {
    this.violation(
      { connection: connection.id, remote: connection.remoteAddress, reason: error.message },
      "protocol violation; closing",
    );
  }

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const transport = new TcpTransport(socket);
    const connection = new ServerConnection(
      (++this.nextId).toString(36),
      transport,
      this.dispatcher,
      this,
      this.config,
      this.clock,
    );
    transport.attach(connection);
    this.connections.add(connection);
    const deadline = new WheelTimer(() => {
      this.deadlines.delete(connection);
      if (connection.isOpen && connection.session === undefined) connection.close("no session established in time");
      return undefined;
    });
    this.deadlines.set(connection, deadline);
    this.wheel.schedule(deadline, connection.openedAt + this.config.establishTimeoutMs);
    this.hooks.fire("onConnection", connection);
    // Per connection: the fields are built only when someone reads them.
    if (this.log.isLevelEnabled("debug")) {
      this.log.debug({ connection: connection.id, remote: connection.remoteAddress }, "connection accepted");
    }
  }

  private cancelDeadline(connection: ServerConnection): void {
    const deadline = this.deadlines.get(connection);
    if (deadline === undefined) return;
    this.wheel.cancel(deadline);
    this.deadlines.delete(connection);
  }

  private async shutdown(): Promise<void> {
    // A listen() in progress ends first (and undoes itself, seeing stopping): closing its listener
    // mid-bind would leave listen() pending forever, and onClose must not run before onListen ends.
    await this.starting?.catch(() => {});
    const net = this.net;
    const stopped = net ? new Promise<void>((resolve) => net.close(() => resolve())) : Promise.resolve();
    const open = this.connections.size;
    for (const connection of this.connections.values()) connection.close("server shutting down");
    // Each one ends by itself or is destroyed by its close deadline (closing()) after the grace.
    while (this.connections.size > 0) await new Promise((r) => setTimeout(r, 10));
    await stopped;
    this.wheel.stop();
    await this.hooks.close();
    // Disposed first: the store's recovery probe must not reconnect a store being released.
    await this.container.dispose();
    for (const release of this.releases.reverse()) await release();
    this.log.info({ connectionsClosed: open }, "server closed");
  }
}
