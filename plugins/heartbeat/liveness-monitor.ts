import {
  CONFIG,
  type Connection,
  inject,
  injectable,
  type ServerConfig,
  TimerWheel,
  WheelTimer,
} from "../../core/index.js";

/**
 * Closes a connection that has sent nothing for `maxMissed` heartbeat
 * intervals (plus grace). Any inbound byte counts, as in MPush. One wheel timer
 * per watched connection, fired by the server's single sweep: no
 * per-connection setTimeout, nothing done per packet but a timestamp store.
 */
@injectable()
export class LivenessMonitor {
  private readonly timers = new WeakMap<Connection, WheelTimer>();

  constructor(
    @inject(TimerWheel) private readonly wheel: TimerWheel,
    @inject(CONFIG) private readonly config: ServerConfig,
  ) {}

  watch(connection: Connection): void {
    const timer = new WheelTimer((now) => this.check(connection, now));
    this.timers.set(connection, timer);
    this.wheel.schedule(timer, connection.lastReadAt + this.idleLimit(connection));
  }

  unwatch(connection: Connection): void {
    const timer = this.timers.get(connection);
    if (timer === undefined) return;
    this.wheel.cancel(timer);
    this.timers.delete(connection);
  }

  private check(connection: Connection, now: number): number | undefined {
    if (!connection.isOpen) return undefined;
    const limit = this.idleLimit(connection);
    if (now - connection.lastReadAt < limit) return connection.lastReadAt + limit;
    this.timers.delete(connection);
    connection.close(`no heartbeat for ${this.config.heartbeat.maxMissed} intervals`);
    return undefined;
  }

  private idleLimit(connection: Connection): number {
    const { maxMissed, graceMs } = this.config.heartbeat;
    const interval = connection.session?.heartbeatMs ?? this.config.heartbeat.maxMs;
    return interval * maxMissed + graceMs;
  }
}
