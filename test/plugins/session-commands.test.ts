import "reflect-metadata";
import { readFileSync } from "node:fs";
import test from "ava";
import { MemorySessionStorage, MPushClient } from "../../client/index.js";
import { startServer } from "../helpers/server.js";

const device = { deviceId: "device-0001", osName: "android", osVersion: "14", clientVersion: "test/1.0.0" };

// Through a real server and the reference client: guards the handlers' refactor into pure reply builders.
test("HANDSHAKE opens a session; FAST_CONNECT resumes it under a new id; the old id is gone", async (t) => {
  const { port, keyFile, close } = await startServer();
  t.teardown(close);
  const serverKey = readFileSync(`${keyFile}.pub`, "utf8");
  const storage = new MemorySessionStorage();
  const connect = async () => {
    const client = new MPushClient({ host: "127.0.0.1", port, serverKey, device, storage });
    t.teardown(() => client.close());
    const outcome = await client.connect();
    await client.close();
    return outcome;
  };

  const first = await connect();
  t.is(first.outcome, "handshake");
  t.truthy(first.sessionId);
  const firstSession = await storage.load();

  const second = await connect();
  t.is(second.outcome, "fast_connect");
  t.not(second.sessionId, first.sessionId);

  // Presenting the rotated-away id (as after a lost FAST_CONNECT_OK) costs a full handshake.
  await storage.save(firstSession!);
  const third = await connect();
  t.is(third.outcome, "handshake");
  t.is(third.fastConnectError, "SESSION_EXPIRED");
});
