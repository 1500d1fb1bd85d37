import { MPushClient, type MPushClientOptions } from "../../client/index.js";
import { DEVICE, pinnedKey } from "./session-peer.js";

/** An SDK client of `server` (its port and pinned key) as DEVICE, with `options` on top. */
export function clientOf(
  server: { port: number; keyFile: string },
  options: Partial<MPushClientOptions> = {},
): MPushClient {
  return new MPushClient({
    host: "127.0.0.1",
    port: server.port,
    serverKey: pinnedKey(server.keyFile),
    device: DEVICE,
    ...options,
  });
}
