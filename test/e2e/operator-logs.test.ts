import "reflect-metadata";
import test from "ava";
import { pino } from "pino";
import { startServer } from "../helpers/server.js";
import {
  errorCodeOf,
  fastConnectOn,
  fastConnectRequest,
  handshakeOn,
  resumeOn,
  ticketOf,
} from "../helpers/session-peer.js";

test("at debug level an operator can follow a device: accepted, established by HANDSHAKE then FAST_CONNECT, and a stale copy refused", async (t) => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const server = await startServer({}, [], { logger });
  t.teardown(server.close);
  const session = await handshakeOn(server);
  const resumed = await resumeOn(server, ticketOf(session));
  t.is(resumed.code, undefined);
  // The copy the client no longer holds: rotated away by the resume.
  const stale = await fastConnectOn(server, fastConnectRequest(ticketOf(session)).body);
  t.not(errorCodeOf(stale), undefined);

  const accepted = lines.filter((line) => line.msg === "connection accepted");
  t.is(accepted.length, 3);
  t.regex(String(accepted[0]?.remote), /^127\.0\.0\.1:\d+$/);
  t.deepEqual(
    lines.filter((line) => line.msg === "session established").map((line) => [line.by, line.stored]),
    [
      ["HANDSHAKE", true],
      ["FAST_CONNECT", true],
    ],
  );
  const refused = lines.find((line) => line.msg === "answered ERROR");
  t.is(refused?.code, "SESSION_EXPIRED");
  t.is(refused?.cmd, 7);
  t.false(JSON.stringify(lines).includes(Buffer.from(session.secrets.sessionSecret).toString("base64")), "no secret");
});
