/**
 * What a connection knows once its session is established (by HANDSHAKE or
 * FAST_CONNECT). Immutable: a change (a new heartbeat, a bound user) is a new
 * context. No secret lives here; traffic keys stay inside the record layer.
 */
export interface SessionContext {
  readonly deviceId: string;
  readonly osName: string;
  readonly osVersion: string;
  readonly clientVersion: string;
  readonly heartbeatMs: number;
  /** The id the client presents to resume; undefined when the session could not be stored. */
  readonly sessionId: string | undefined;
  readonly expiresAt: number;
  /** True when established by FAST_CONNECT. */
  readonly resumed: boolean;
}
