import "reflect-metadata";
import { randomBytes } from "node:crypto";
import test from "ava";
import {
  Command,
  type CommandHandler,
  definePlugin,
  Handles,
  Hooks,
  type Plugin,
  type Reply,
  registerHandlers,
} from "../../core/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import { deferred } from "../helpers/wait.js";

const HEARTBEAT_MS = 300;

/**
 * cmd 210 establishes a session with a 300 ms heartbeat and throwaway keys:
 * enough for the liveness monitor, without the HANDSHAKE crypto. 0xDF stays
 * a clear byte after the keys switch on, so a raw client can keep it alive.
 */
@Handles(210, { access: "public" })
class InstantSessionHandler implements CommandHandler<Buffer> {
  handle(): Reply {
    const direction = () => ({ key: randomBytes(16), iv: randomBytes(12) });
    return {
      kind: "message",
      body: Buffer.from("established"),
      establish: {
        secrets: {
          traffic: { clientToServer: direction(), serverToClient: direction() },
          sessionSecret: randomBytes(32),
        },
        session: {
          deviceId: "d",
          osName: "",
          osVersion: "",
          clientVersion: "",
          heartbeatMs: HEARTBEAT_MS,
          sessionId: undefined,
          expiresAt: 0,
          resumed: false,
        },
      },
    };
  }
}

async function setup() {
  const established = deferred<void>();
  const plugin: Plugin = definePlugin({
    name: "instant-session",
    register(container) {
      registerHandlers(container, InstantSessionHandler);
      container.resolve(Hooks).add("onSessionEstablished", () => established.resolve());
    },
  });
  const server = await startServer({ sweepIntervalMs: 20, heartbeat: { maxMissed: 2, graceMs: 100 } }, [{ plugin }]);
  const client = await RawClient.open(server.port);
  // The server's lastReadAt is at or after this instant.
  const requestedAt = Date.now();
  client.writeFrame(210, 1);
  await client.next();
  await established.promise;
  return { server, client, requestedAt };
}

test("an established connection that goes silent is closed after maxMissed intervals plus grace", async (t) => {
  const { server, client, requestedAt } = await setup();
  t.teardown(server.close);
  t.teardown(() => client.close());
  await client.waitClosed(5000);
  const silence = Date.now() - requestedAt;
  t.true(silence >= 2 * HEARTBEAT_MS + 100, `closed after ${silence} ms of silence`);
});

test("an established connection that keeps sending 0xDF stays open", async (t) => {
  const { server, client } = await setup();
  t.teardown(server.close);
  t.teardown(() => client.close());
  const limit = 2 * HEARTBEAT_MS + 100;
  for (let sent = 0; sent < 12; sent++) {
    client.write([0xdf]);
    t.is((await client.next()).cmd, Command.HEARTBEAT);
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS / 3));
  }
  t.false(client.closed, `open after ${12 * (HEARTBEAT_MS / 3)} ms, well past the ${limit} ms idle limit`);
  await client.waitClosed(5000);
});
