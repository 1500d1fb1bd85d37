import {
  CONFIG,
  ErrorCode,
  type HeartbeatBounds,
  type HeartbeatPolicy,
  inject,
  injectable,
  ProtocolError,
  type ServerConfig,
} from "../../core/index.js";

/**
 * MPush's ConfigTools.getHeartbeat, max(serverMin, min(clientMax, serverMax)),
 * made to honour the client's minimum as well (client 0 = no bound):
 *
 *   lo = max(clientMin, serverMin), hi = min(clientMax, serverMax)
 *   ranges overlap (lo <= hi): hi   - the longest interval both accept, fewest radio wake-ups
 *   client entirely below the server (clientMax < serverMin): serverMin
 *   client entirely above the server (clientMin > serverMax): serverMax
 *
 * When the ranges do not overlap the server's bound nearest the client wins:
 * the server's range protects its idle sweep and its load.
 * clientMin > clientMax is INVALID_ARGUMENT.
 */
@injectable()
export class HeartbeatNegotiator implements HeartbeatPolicy {
  constructor(@inject(CONFIG) private readonly config: ServerConfig) {}

  negotiate(client: HeartbeatBounds): number {
    const clientMin = client.minMs;
    const clientMax = client.maxMs === 0 ? Number.POSITIVE_INFINITY : client.maxMs;
    if (clientMin > clientMax) {
      throw new ProtocolError(ErrorCode.INVALID_ARGUMENT, "min_heartbeat_ms exceeds max_heartbeat_ms");
    }
    const { minMs, maxMs } = this.config.heartbeat;
    const lo = Math.max(clientMin, minMs);
    const hi = Math.min(clientMax, maxMs);
    if (lo <= hi) return hi;
    return clientMax < minMs ? minMs : maxMs;
  }
}
