/**
 * A push receiver on the TypeScript SDK: stays connected, resumes its session
 * across restarts from a file, and prints one JSON line per event.
 *
 *   node build/examples/sdk-client/main.js [host] [port] [server key .pub] [session file] [device id]
 *
 * The session file defaults to .mpush/<device id>.json: one device, one session.
 */
import { readFileSync } from "node:fs";
import { type ConnectOutcome, FileSessionStorage, MPushClient, type Packet } from "../../client/index.js";

const [host = "127.0.0.1", port = "3000", serverKeyFile = ".mpush/server.key.pub", file, deviceId = "phone-1"] =
  process.argv.slice(2);
const sessionFile = file || `.mpush/${deviceId}.json`;

const client = new MPushClient({
  host,
  port: Number(port),
  serverKey: readFileSync(serverKeyFile, "utf8"),
  device: { deviceId, osName: "example", osVersion: "1", clientVersion: "sdk-example/1" },
  storage: new FileSessionStorage(sessionFile),
});

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
client.on("established", ({ outcome, heartbeatMs, storageError }: ConnectOutcome) =>
  print({
    event: "established",
    outcome,
    heartbeatMs,
    ...(storageError ? { storageError: storageError.message } : {}),
  }),
);
client.on("packet", ({ cmd, body }: Packet) => print({ event: "push", cmd, body: body.toString("utf8") }));
client.on("disconnected", (reason: string) => print({ event: "disconnected", reason }));
// Failed attempts: the client retries on its own, with backoff.
client.on("error", (error: Error) => print({ event: "error", message: error.message }));

client.start();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void client.close());
