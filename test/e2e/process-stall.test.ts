import "reflect-metadata";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { Command } from "../../core/index.js";
import { ChildServer } from "../helpers/child-process.js";
import { reservedPort } from "../helpers/ports.js";
import { RawClient } from "../helpers/raw-client.js";
import { pinnedKey, rawHandshake } from "../helpers/session-peer.js";
import { sleep } from "../helpers/wait.js";

test("a server paused past its idle limit keeps the connections whose heartbeats waited in the socket", async (t) => {
  const keyFile = join(mkdtempSync(join(tmpdir(), "mpush-stall-")), "server.key");
  // Idle limit: 2 intervals of 1 s plus the 1 s grace.
  const server = await ChildServer.start({
    MPUSH_PORT: String(await reservedPort()),
    MPUSH_KEY_FILE: keyFile,
    MPUSH_HEARTBEAT_MIN_MS: "1000",
    MPUSH_HEARTBEAT_MAX_MS: "1000",
    MPUSH_HEARTBEAT_MAX_MISSED: "2",
  });
  t.teardown(() => server.stop());
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const { session } = await rawHandshake(raw, pinnedKey(keyFile), {
    heartbeat: { minHeartbeatMs: 1000, maxHeartbeatMs: 1000 },
  });
  t.is(session.heartbeatMs, 1000);
  const beat = setInterval(() => raw.write([0xdf]), 200);
  t.teardown(() => clearInterval(beat));
  server.signal("SIGSTOP");
  await sleep(4500);
  server.signal("SIGCONT");
  await sleep(1500);
  clearInterval(beat);
  t.false(raw.closed, "the heartbeats sent while it was stopped count");
  const before = raw.packets.length;
  raw.write([0xdf]);
  await sleep(500);
  t.true(raw.packets.length > before, "still answered");
  t.true(raw.packets.every((packet) => packet.cmd === Command.HEARTBEAT));
  t.false(raw.closed);
});
