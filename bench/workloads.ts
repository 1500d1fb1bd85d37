import { randomBytes } from "node:crypto";
import {
  ClientConnection,
  type EstablishedSession,
  type PinnedServerKey,
  type ResumeTicket,
  startFastConnect,
  startHandshake,
} from "../client/index.js";
import { Command } from "../core/protocol/index.js";
import type { Operation, Target, Workload } from "./client-loop.js";
import { NO_OP_COMMAND } from "./no-op-plugin.js";

/** A FAST_CONNECT request is about this long, so raw-floor moves as many bytes. */
const RAW_BODY_BYTES = 128;
/** Any command: the raw-floor server echoes every frame. */
const RAW_COMMAND = 100;
/** No bounds of the client's own: the server's range decides. */
const HEARTBEAT = { minHeartbeatMs: 0, maxHeartbeatMs: 0 };

/** raw-floor: one framed request, one framed reply carrying the same command, seq and body. */
export function rawExchange(): Workload {
  const body = randomBytes(RAW_BODY_BYTES);
  const operation: Operation = {
    async exchange(connection) {
      const reply = await connection.request(RAW_COMMAND, body);
      if (reply.cmd !== RAW_COMMAND || !reply.body.equals(body)) throw new Error("raw reply does not echo the request");
    },
  };
  return { prepare: async () => operation };
}

/** framework-floor: one public command that does nothing, answered OK through the whole framework. */
export function noOpExchange(): Workload {
  const operation: Operation = {
    async exchange(connection) {
      const reply = await connection.request(NO_OP_COMMAND, Buffer.alloc(0));
      if (reply.cmd !== Command.OK) throw new Error(`no-op answered with command ${reply.cmd}`);
    },
  };
  return { prepare: async () => operation };
}

/** handshake: a full HANDSHAKE; the client checks the signature with the pinned key and runs X25519. */
export function fullHandshake(serverKey: PinnedServerKey, label: string): Workload {
  return {
    async prepare(worker) {
      const deviceId = `${label}-${worker}`;
      return {
        async exchange(connection) {
          await handshake(connection, deviceId, serverKey);
        },
      };
    },
  };
}

/**
 * fast-connect-*: the full resume (binder, timestamp, nonce claim, rotation:
 * new record saved, old one deleted), and the client checks the server's
 * finished MAC. Each worker takes one session by HANDSHAKE before the clock
 * starts and then resumes the session each success hands back; after a
 * failure it takes a new one.
 */
export function fastConnect(serverKey: PinnedServerKey, label: string, target: Target): Workload {
  return {
    async prepare(worker) {
      const deviceId = `${label}-${worker}`;
      const fresh = async (): Promise<ResumeTicket> => {
        const connection = await ClientConnection.open(target.host, target.port);
        try {
          return ticketOf(deviceId, await handshake(connection, deviceId, serverKey));
        } finally {
          await connection.close();
        }
      };
      let ticket = await fresh();
      return {
        async exchange(connection) {
          const flow = startFastConnect(ticket, HEARTBEAT, Date.now());
          const reply = await connection.request(Command.FAST_CONNECT, flow.body);
          if (reply.cmd !== Command.FAST_CONNECT) throw new Error(`FAST_CONNECT answered with command ${reply.cmd}`);
          ticket = ticketOf(deviceId, flow.finish(reply.body));
        },
        async recover() {
          ticket = await fresh();
        },
      };
    },
  };
}

async function handshake(
  connection: ClientConnection,
  deviceId: string,
  serverKey: PinnedServerKey,
): Promise<EstablishedSession> {
  const device = { deviceId, osName: "bench", osVersion: "1", clientVersion: "bench" };
  const flow = startHandshake(device, HEARTBEAT, serverKey);
  const reply = await connection.request(Command.HANDSHAKE, flow.body);
  if (reply.cmd !== Command.HANDSHAKE) throw new Error(`HANDSHAKE answered with command ${reply.cmd}`);
  const session = flow.finish(reply.body);
  if (session.sessionId === "") throw new Error("HANDSHAKE gave no resumable session (store unavailable)");
  return session;
}

function ticketOf(deviceId: string, session: EstablishedSession): ResumeTicket {
  return { sessionId: session.sessionId, sessionSecret: session.secrets.sessionSecret, deviceId };
}
