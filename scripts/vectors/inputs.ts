/**
 * The fixed inputs of docs/test-vectors.json. Every random value of a real
 * exchange is replaced by a counting byte pattern, so a reader can tell the
 * values apart at a glance. Never use any of these outside tests.
 */
function counting(from: number): Buffer {
  return Buffer.from(Array.from({ length: 32 }, (_, i) => from + i));
}

export const SERVER = {
  identitySeed: counting(0x00),
  heartbeat: { minMs: 30_000, maxMs: 180_000, maxMissed: 3, graceMs: 1000 },
  session: { ttlMs: 24 * 3600_000, maxLifetimeMs: 7 * 24 * 3600_000, replayWindowMs: 120_000 },
  maxBodyBytes: 64 * 1024,
} as const;

export const HANDSHAKE = {
  clientEphemeralPrivate: counting(0x20),
  serverEphemeralPrivate: counting(0x40),
  clientNonce: counting(0x60),
  serverNonce: counting(0x80),
  device: { deviceId: "device-0001", osName: "android", osVersion: "14", clientVersion: "acme-app/2.3.1" },
  minHeartbeatMs: 60_000,
  maxHeartbeatMs: 240_000,
  seq: 1,
  /** Real ids are 18 random bytes in base64url; this one is bytes 0..17. */
  sessionId: "AAECAwQFBgcICQoLDA0ODxAR",
  /** 2026-01-01T00:00:00Z */
  serverTimeMs: 1_767_225_600_000,
} as const;

export const FAST_CONNECT = {
  minHeartbeatMs: 0,
  maxHeartbeatMs: 120_000,
  clientNonce: counting(0xa0),
  serverNonce: counting(0xc0),
  seq: 1,
  /** One hour after the handshake, by the client's corrected clock. */
  timestampMs: 1_767_229_200_000,
  /** The server's clock when the request arrives: 250 ms later. */
  serverTimeMs: 1_767_229_200_250,
  /** Bytes 18..35 in base64url. */
  newSessionId: "EhMUFRYXGBkaGxwdHh8gISIj",
} as const;
