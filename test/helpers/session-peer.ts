import { readFileSync } from "node:fs";
import { ServerError } from "../../client/errors.js";
import { startFastConnect } from "../../client/flows/fast-connect-flow.js";
import {
  type DeviceInfo,
  type EstablishedSession,
  type HandshakeSession,
  startHandshake,
} from "../../client/flows/handshake-flow.js";
import { PinnedServerKey } from "../../core/crypto/pinned-server-key.js";
import { RecordCipher } from "../../core/crypto/record-cipher.js";
import type { EphemeralKeyPair } from "../../core/crypto/x25519.js";
import { FrameDecoder } from "../../core/protocol/frame-decoder.js";
import {
  Command,
  ErrorReply,
  FastConnectOk,
  FastConnectServerHello,
  FrameFlag,
  type Packet,
} from "../../core/protocol/index.js";
import { RawClient } from "./raw-client.js";

export const DEVICE: DeviceInfo = {
  deviceId: "device-1",
  osName: "android",
  osVersion: "14",
  clientVersion: "test/1.0",
};

/** "No bound" on either side: the server's own range decides. */
export const ANY_HEARTBEAT = { minHeartbeatMs: 0, maxHeartbeatMs: 0 };

/** The pinned key of a server started by startServer (its `<keyFile>.pub`). */
export function pinnedKey(keyFile: string): PinnedServerKey {
  return PinnedServerKey.from(readFileSync(`${keyFile}.pub`, "utf8"));
}

/**
 * The client end of an established connection driven by hand: frames sealed
 * with the client->server cipher, replies opened with the server->client one.
 * Exposes the ciphers so a test can replay, reorder or forge frames.
 */
export class SealedChannel {
  readonly send: RecordCipher;
  readonly receive: RecordCipher;

  constructor(
    readonly raw: RawClient,
    readonly session: EstablishedSession,
  ) {
    this.send = new RecordCipher(session.secrets.traffic.clientToServer);
    this.receive = new RecordCipher(session.secrets.traffic.serverToClient);
  }

  /** The bytes of the next sealed client frame (consumes one nonce), not written. */
  seal(cmd: number, seq: number, body: Uint8Array = Buffer.alloc(0), flags = 0): Buffer {
    return this.send.seal(cmd, flags, seq, body);
  }

  write(cmd: number, seq: number, body: Uint8Array = Buffer.alloc(0), flags = 0): Buffer {
    const frame = this.seal(cmd, seq, body, flags);
    this.raw.write(frame);
    return frame;
  }

  /** The next packet from the server: 0xDF as is, anything else must be sealed and is opened. */
  async next(timeoutMs?: number): Promise<Packet & { sealed: boolean }> {
    const packet = await this.raw.next(timeoutMs);
    if (packet.cmd === Command.HEARTBEAT && packet.body.length === 0 && packet.flags === 0 && packet.seq === 0) {
      return { ...packet, sealed: false };
    }
    const sealed = (packet.flags & FrameFlag.ENCRYPTED) !== 0;
    return { ...packet, body: this.receive.open(packet), sealed };
  }
}

export interface HandshakeOptions {
  readonly device?: DeviceInfo;
  readonly heartbeat?: { minHeartbeatMs: number; maxHeartbeatMs: number };
  readonly ephemeral?: EphemeralKeyPair;
  readonly seq?: number;
}

export interface RawHandshake {
  readonly channel: SealedChannel;
  readonly session: HandshakeSession;
  /** The HandshakeRequest body as sent, and the HandshakeOk packet as received. */
  readonly requestBody: Buffer;
  readonly reply: Packet;
}

/** HANDSHAKE over a raw peer with the SDK's flow functions; rejects with ServerError on ERROR. */
export async function rawHandshake(
  raw: RawClient,
  serverKey: PinnedServerKey | readonly PinnedServerKey[],
  options: HandshakeOptions = {},
): Promise<RawHandshake> {
  const flow = startHandshake(options.device ?? DEVICE, options.heartbeat ?? ANY_HEARTBEAT, serverKey, {
    ephemeral: options.ephemeral,
  });
  const seq = options.seq ?? 1;
  raw.writeFrame(Command.HANDSHAKE, seq, flow.body);
  const reply = expectReply(await raw.next(), Command.HANDSHAKE, seq);
  const session = flow.finish(reply.body);
  return { channel: new SealedChannel(raw, session), session, requestBody: flow.body, reply };
}

export interface Ticket {
  readonly sessionId: string;
  readonly sessionSecret: Uint8Array;
  readonly deviceId: string;
}

export function ticketOf(session: EstablishedSession, deviceId = DEVICE.deviceId): Ticket {
  return { sessionId: session.sessionId, sessionSecret: session.secrets.sessionSecret, deviceId };
}

/** A FAST_CONNECT request body, not sent: tests capture and replay it. */
export function fastConnectRequest(
  ticket: Ticket,
  options: { timestampMs?: number; heartbeat?: { minHeartbeatMs: number; maxHeartbeatMs: number } } = {},
) {
  return startFastConnect(ticket, options.heartbeat ?? ANY_HEARTBEAT, options.timestampMs ?? Date.now());
}

/** Sends a FAST_CONNECT body and returns the raw reply (FAST_CONNECT_OK or ERROR). */
export async function sendFastConnect(raw: RawClient, body: Uint8Array, seq = 1): Promise<Packet> {
  raw.writeFrame(Command.FAST_CONNECT, seq, body);
  const reply = await raw.next();
  if (reply.seq !== seq) throw new Error(`reply seq ${reply.seq}, expected ${seq}`);
  return reply;
}

/** FAST_CONNECT over a raw peer; rejects with ServerError when refused. */
export async function rawFastConnect(
  raw: RawClient,
  ticket: Ticket,
  options: { timestampMs?: number; heartbeat?: { minHeartbeatMs: number; maxHeartbeatMs: number } } = {},
): Promise<{ channel: SealedChannel; session: EstablishedSession; requestBody: Buffer }> {
  const flow = fastConnectRequest(ticket, options);
  const reply = expectReply(await sendFastConnect(raw, flow.body), Command.FAST_CONNECT, 1);
  const session = flow.finish(reply.body);
  return { channel: new SealedChannel(raw, session), session, requestBody: flow.body };
}

/** The ERROR code a raw reply carries, or undefined when it is not an ERROR. */
export function errorCodeOf(packet: Packet): number | undefined {
  return packet.cmd === Command.ERROR ? ErrorReply.decode(packet.body).code : undefined;
}

function expectReply(packet: Packet, cmd: number, seq: number): Packet {
  if (packet.cmd === Command.ERROR) {
    const error = ErrorReply.decode(packet.body);
    throw new ServerError(error.command, error.code, error.reason);
  }
  if (packet.cmd !== cmd || packet.seq !== seq) {
    throw new Error(`expected reply cmd ${cmd} seq ${seq}, got cmd ${packet.cmd} seq ${packet.seq}`);
  }
  if ((packet.flags & FrameFlag.ENCRYPTED) !== 0) throw new Error("the establishing reply must be sent in clear");
  return packet;
}

/** What the one-shot helpers need of a server: where it listens and its key file. */
export interface ServerAddress {
  readonly port: number;
  readonly keyFile: string;
}

/** Opens a connection, handshakes, closes it; the session to resume. */
export async function handshakeOn(server: ServerAddress, options: HandshakeOptions = {}): Promise<EstablishedSession> {
  const raw = await RawClient.open(server.port);
  try {
    return (await rawHandshake(raw, pinnedKey(server.keyFile), options)).session;
  } finally {
    raw.close();
  }
}

/** Sends one FAST_CONNECT body on a connection of its own and returns the raw reply. */
export async function fastConnectOn(server: ServerAddress, body: Uint8Array): Promise<Packet> {
  const raw = await RawClient.open(server.port);
  try {
    return await sendFastConnect(raw, body);
  } finally {
    raw.close();
  }
}

export type Resumed =
  | { readonly code: undefined; readonly session: EstablishedSession; readonly hello: FastConnectServerHello }
  | { readonly code: number; readonly session?: undefined; readonly hello?: undefined };

/** A fresh FAST_CONNECT for `ticket` on a connection of its own: the new session, or the ERROR code. */
export async function resumeOn(server: ServerAddress, ticket: Ticket, timestampMs?: number): Promise<Resumed> {
  const flow = fastConnectRequest(ticket, { timestampMs });
  const reply = await fastConnectOn(server, flow.body);
  const code = errorCodeOf(reply);
  if (code !== undefined) return { code };
  const hello = FastConnectServerHello.decode(FastConnectOk.decode(reply.body).serverHello);
  return { code: undefined, session: flow.finish(reply.body), hello };
}

/** The frames in a captured byte stream (0xDF as cmd 1). */
export function framesOf(bytes: Buffer): Packet[] {
  const out: Packet[] = [];
  new FrameDecoder(1 << 24).push(bytes, (p) => out.push({ ...p, body: Buffer.from(p.body) }));
  return out;
}
