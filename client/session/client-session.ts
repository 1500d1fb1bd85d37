/**
 * What a client keeps between connections to resume without a new key
 * exchange. It holds the session secret: store it as you would a password
 * (FileSessionStorage writes mode 0600).
 */
export interface ClientSession {
  readonly sessionId: string;
  /** base64 */
  readonly sessionSecret: string;
  readonly deviceId: string;
  readonly expiresAtMs: number;
  readonly heartbeatMs: number;
  /** Fingerprint of the server key the session was made with; a client that no longer pins it never offers it. */
  readonly serverFingerprint: string;
  /** server clock - local clock, ms, as last seen; FAST_CONNECT timestamps use it. */
  readonly clockOffsetMs: number;
}

/** Where the application keeps its session: persisting it is its choice. */
export interface SessionStorage {
  load(): Promise<ClientSession | undefined>;
  save(session: ClientSession): Promise<void>;
  clear(): Promise<void>;
}

export class MemorySessionStorage implements SessionStorage {
  private session: ClientSession | undefined;

  async load(): Promise<ClientSession | undefined> {
    return this.session;
  }

  async save(session: ClientSession): Promise<void> {
    this.session = session;
  }

  async clear(): Promise<void> {
    this.session = undefined;
  }
}

export function isClientSession(value: unknown): value is ClientSession {
  const s = value as Partial<ClientSession> | null;
  return (
    typeof s === "object" &&
    s !== null &&
    typeof s.sessionId === "string" &&
    typeof s.sessionSecret === "string" &&
    typeof s.deviceId === "string" &&
    typeof s.expiresAtMs === "number" &&
    typeof s.heartbeatMs === "number" &&
    typeof s.serverFingerprint === "string" &&
    typeof s.clockOffsetMs === "number"
  );
}
