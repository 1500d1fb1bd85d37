/** Client's wishes, in ms; 0 means "no bound". */
export interface HeartbeatBounds {
  readonly minMs: number;
  readonly maxMs: number;
}

/**
 * Picks the heartbeat interval for a connection. Provided by the heartbeat
 * plugin; HANDSHAKE and FAST_CONNECT use it. Throws a ProtocolError
 * (INVALID_ARGUMENT) for bounds that make no sense.
 */
export interface HeartbeatPolicy {
  negotiate(client: HeartbeatBounds): number;
}

export const HEARTBEAT_POLICY: unique symbol = Symbol("mpush.HeartbeatPolicy");
