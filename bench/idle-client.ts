import { readFileSync } from "node:fs";
import { ClientConnection, PinnedServerKey, startHandshake } from "../client/index.js";
import { Command } from "../core/protocol/index.js";

/**
 * A child of bench/idle-connections: opens `count` connections, completes a
 * HANDSHAKE on each (so every one is an established session with its keys,
 * its idle timer and its record in the store), reports "ready" to the
 * parent, then holds them, silent, until told to stop. Argv: host port
 * count keyFile label.
 */
const [host = "127.0.0.1", portText = "0", countText = "0", keyFile = "", label = "idle"] = process.argv.slice(2);
const serverKey = PinnedServerKey.from(readFileSync(`${keyFile}.pub`, "utf8"));
const count = Number(countText);
const CONCURRENCY = 50;
const connections: ClientConnection[] = [];

async function establish(index: number): Promise<void> {
  const connection = await ClientConnection.open(host, Number(portText), { timeoutMs: 30_000 });
  const device = { deviceId: `${label}-${index}`, osName: "bench", osVersion: "1", clientVersion: "bench" };
  const flow = startHandshake(device, { minHeartbeatMs: 0, maxHeartbeatMs: 0 }, serverKey);
  await connection.request(Command.HANDSHAKE, flow.body, {
    timeoutMs: 30_000,
    onReply: (packet) => connection.installKeys(flow.finish(packet.body).secrets.traffic),
  });
  connections.push(connection);
}

async function main(): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await establish(next++);
    }),
  );
  const lost = connections.filter((c) => !c.isOpen).length;
  process.send?.({ ready: connections.length, lost });
  process.on("message", async () => {
    await Promise.all(connections.map((c) => c.close()));
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  process.send?.({ error: (error as Error).message });
  process.exit(1);
});
