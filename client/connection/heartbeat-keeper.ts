import type { ClientConnection } from "./client-connection.js";

/** Below this a negotiated heartbeat is taken as this: no server the client can use heartbeats faster. */
const MIN_HEARTBEAT_MS = 1000;

/**
 * Keeps one connection alive, one timer per client. A heartbeat goes out when
 * nothing was written for about an interval, or when nothing was read and no
 * heartbeat went out for that long: a client that only sends (acks, uploads)
 * would otherwise hold back every heartbeat and then drop its own healthy
 * connection as silent. A connection silent for two intervals is closed.
 */
export function keepAlive(connection: ClientConnection, negotiatedMs: number): () => void {
  // Whatever a server negotiates, this client's own checks need an interval they can keep.
  const heartbeatMs = Math.max(MIN_HEARTBEAT_MS, negotiatedMs);
  const margin = Math.min(1000, heartbeatMs / 10);
  const due = heartbeatMs - margin;
  let probedAt = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - connection.lastReadAt > 2 * heartbeatMs + margin) connection.close();
    else if (now - connection.lastWriteAt >= due || (now - connection.lastReadAt >= due && now - probedAt >= due)) {
      connection.sendHeartbeat();
      probedAt = now;
    }
  }, heartbeatMs / 4);
  timer.unref();
  return () => clearInterval(timer);
}
