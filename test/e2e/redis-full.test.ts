import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { ErrorCode } from "../../core/index.js";
import { rawOpener } from "../helpers/raw-client.js";
import { RedisServer } from "../helpers/redis.js";
import { startServer } from "../helpers/server.js";
import {
  errorCodeOf,
  fastConnectRequest,
  pinnedKey,
  rawFastConnect,
  rawHandshake,
  sendFastConnect,
  ticketOf,
} from "../helpers/session-peer.js";

test("Redis at its memory limit (noeviction): HANDSHAKE serves without a resumable id, FAST_CONNECT is STORE_UNAVAILABLE and changes nothing; once memory is freed the same session resumes", async (t) => {
  const redis = await RedisServer.start({ args: ["--maxmemory-policy", "noeviction"] });
  t.teardown(() => redis.stop());
  const logs: { msg: string; err?: { message?: string } }[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const server = await startServer({ session: { store: redis.url, storeTimeoutMs: 500 } }, [], { logger });
  t.teardown(server.close);
  const key = pinnedKey(server.keyFile);
  const open = rawOpener(t, server.port);
  const stored = await rawHandshake(await open(), key);
  t.not(stored.session.sessionId, "");
  const keysBefore = await redis.cli("DBSIZE");

  // Below what Redis already uses: every write is refused with OOM, reads still work.
  await redis.cli("CONFIG", "SET", "maxmemory", "1");
  const degraded = await rawHandshake(await open(), key);
  t.is(degraded.session.sessionId, "");
  const refused = await sendFastConnect(await open(), fastConnectRequest(ticketOf(stored.session)).body);
  t.is(errorCodeOf(refused), ErrorCode.STORE_UNAVAILABLE);
  // The refusal says nothing of why; the server's log does, Redis's own words included.
  const logged = logs.find((l) => l.msg === "session store unavailable; FAST_CONNECT refused");
  t.truthy(logged);
  t.regex(JSON.stringify(logged?.err ?? {}), /OOM/);
  // The refused rotation left no trace: no nonce claimed, the old record not deleted.
  t.is(await redis.cli("DBSIZE"), keysBefore);

  await redis.cli("CONFIG", "SET", "maxmemory", "0");
  const resumed = await rawFastConnect(await open(), ticketOf(stored.session));
  t.not(resumed.session.sessionId, stored.session.sessionId);
});
