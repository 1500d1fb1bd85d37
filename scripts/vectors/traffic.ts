import { deriveSecret } from "../../core/crypto/hkdf.js";
import { directionKeys, type EstablishedSecrets } from "../../core/crypto/key-schedule.js";
import { assertSameBytes, hex } from "./hex.js";

/**
 * The traffic secrets derived from `secret` (handshake or early) and the
 * transcript hash, spelled out for implementers and checked against the keys
 * the serving code derived.
 */
export function trafficVector(secret: Buffer, transcriptHash: Buffer, secrets: EstablishedSecrets) {
  const clientTraffic = deriveSecret(secret, "c ap traffic", transcriptHash);
  const serverTraffic = deriveSecret(secret, "s ap traffic", transcriptHash);
  const { clientToServer, serverToClient } = secrets.traffic;
  assertSameBytes("client traffic key", directionKeys(clientTraffic).key, clientToServer.key);
  assertSameBytes("server traffic key", directionKeys(serverTraffic).key, serverToClient.key);
  return {
    client_traffic_secret: hex(clientTraffic),
    server_traffic_secret: hex(serverTraffic),
    client_to_server: { key: hex(clientToServer.key), iv: hex(clientToServer.iv) },
    server_to_client: { key: hex(serverToClient.key), iv: hex(serverToClient.iv) },
    session_secret: hex(secrets.sessionSecret),
  };
}
