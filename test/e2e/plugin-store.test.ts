import "reflect-metadata";
import test, { type ExecutionContext } from "ava";
import { Keyv } from "keyv";
import { pino } from "pino";
import { definePlugin, ErrorCode, KEYV } from "../../core/index.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import {
  errorCodeOf,
  fastConnectRequest,
  pinnedKey,
  rawHandshake,
  sendFastConnect,
  ticketOf,
} from "../helpers/session-peer.js";

/** A server whose plugin provides `keyv` as the session store, with the lines it logs. */
async function serverWithStore(t: ExecutionContext, keyv: Keyv) {
  const plugin = definePlugin({
    name: "own-store",
    register: (container) => {
      container.registerInstance(KEYV, keyv);
    },
  });
  const lines: { msg: string; store?: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const server = await startServer({}, [{ plugin }], { logger });
  t.teardown(server.close);
  return { server, lines };
}

test("a plugin's Keyv that would swallow its errors is made to throw them: a failing store is STORE_UNAVAILABLE, not an empty one", async (t) => {
  const data = new Map<string, unknown>();
  const control = { fail: false };
  const answer = <T>(value: () => T) =>
    control.fail ? Promise.reject(new Error("backend down")) : Promise.resolve(value());
  const keyv = new Keyv({
    store: {
      get: (key: string) => answer(() => data.get(key)),
      set: (key: string, value: unknown) => answer(() => data.set(key, value)),
      delete: (key: string) => answer(() => data.delete(key)),
      clear: () => answer(() => data.clear()),
    },
  });
  keyv.on("error", () => {});
  t.false(keyv.throwOnErrors);
  const { server, lines } = await serverWithStore(t, keyv);
  t.true(keyv.throwOnErrors);
  t.is(lines.find((line) => line.msg.startsWith("listening on"))?.store, "a plugin's Keyv");

  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const { session } = await rawHandshake(raw, pinnedKey(server.keyFile));
  control.fail = true;
  const other = await RawClient.open(server.port);
  t.teardown(() => other.close());
  const reply = await sendFastConnect(other, fastConnectRequest(ticketOf(session)).body);
  t.is(errorCodeOf(reply), ErrorCode.STORE_UNAVAILABLE);

  // A handshake's save is a write that succeeds: the outage is over, and its end names this store.
  control.fail = false;
  const third = await RawClient.open(server.port);
  t.teardown(() => third.close());
  await rawHandshake(third, pinnedKey(server.keyFile));
  t.is(lines.find((line) => line.msg === "session store answers again")?.store, "a plugin's Keyv");
});

test("a plugin's Keyv that already throws its errors is left as it is, without a word", async (t) => {
  const keyv = new Keyv({ throwOnErrors: true });
  const { lines } = await serverWithStore(t, keyv);
  t.true(keyv.throwOnErrors);
  t.is(lines.find((line) => line.msg.startsWith("listening on"))?.store, "a plugin's Keyv");
  t.false(lines.some((line) => line.msg.includes("throwOnErrors")));
});
