import { createCipheriv } from "node:crypto";
import { AEAD, type DirectionKeys, type EstablishedSecrets, TAG_LENGTH } from "../../core/crypto/key-schedule.js";
import { RecordCipher } from "../../core/crypto/record-cipher.js";
import { deflateBody, inflateBody } from "../../core/protocol/body-compression.js";
import { Command, ErrorCode, ErrorReply, encodeMessage, FrameFlag, HEADER_LENGTH } from "../../core/protocol/index.js";
import { assertSameBytes, hex } from "./hex.js";
import { SERVER } from "./inputs.js";

type Direction = "client_to_server" | "server_to_client";

interface RecordSpec {
  readonly direction: Direction;
  readonly cmd: number;
  readonly flags: number;
  readonly seq: number;
  readonly plaintext: Buffer;
}

const text = (s: string) => Buffer.from(s, "utf8");
/** A server's own frames (pushes) carry its counter with the top bit set (protocol.md section 2.3). */
const SERVER_SEQ_1 = 0x8000_0001;
const SERVER_SEQ_2 = 0x8000_0002;

/** On the handshake's connection: both directions, counters 0 and 1, an empty body and a compressed one. */
const AFTER_HANDSHAKE: readonly RecordSpec[] = [
  { direction: "client_to_server", cmd: Command.PUSH, flags: FrameFlag.AUTO_ACK, seq: 2, plaintext: text("up 1") },
  { direction: "client_to_server", cmd: Command.ACK, flags: 0, seq: 3, plaintext: Buffer.alloc(0) },
  {
    direction: "server_to_client",
    cmd: Command.PUSH,
    flags: FrameFlag.BIZ_ACK,
    seq: SERVER_SEQ_1,
    plaintext: text("down 1"),
  },
  {
    direction: "server_to_client",
    cmd: Command.ERROR,
    flags: 0,
    seq: 3,
    plaintext: encodeMessage(ErrorReply, {
      command: Command.ACK,
      code: ErrorCode.UNSUPPORTED_CMD,
      reason: "unsupported command 23",
    }),
  },
  {
    direction: "server_to_client",
    cmd: Command.PUSH,
    flags: FrameFlag.COMPRESSED | FrameFlag.AUTO_ACK,
    seq: SERVER_SEQ_2,
    plaintext: text("mpush ".repeat(20)),
  },
];

/** On the resumed connection: a framed heartbeat (sealed, as every frame after the switch) and a push. */
const AFTER_FAST_CONNECT: readonly RecordSpec[] = [
  { direction: "client_to_server", cmd: Command.HEARTBEAT, flags: 0, seq: 2, plaintext: Buffer.alloc(0) },
  { direction: "server_to_client", cmd: Command.PUSH, flags: 0, seq: SERVER_SEQ_1, plaintext: text("down 2") },
];

/** nonce = iv XOR (0^4 || u64be(counter)), spelled out independently of RecordCipher. */
function recordNonce(iv: Buffer, counter: number): Buffer {
  const pad = Buffer.alloc(12);
  pad.writeBigUInt64BE(BigInt(counter), 4);
  return Buffer.from(iv.map((b, i) => b ^ (pad[i] as number)));
}

/**
 * Seals each record with the record layer of the side that sends it, in order,
 * so the counters are the real ones; checks the frame against a direct
 * AES-GCM computation and that the receiving side opens it.
 */
export function recordVectors(connection: string, secrets: EstablishedSecrets, specs = AFTER_HANDSHAKE) {
  const keysOf = (d: Direction): DirectionKeys =>
    d === "client_to_server" ? secrets.traffic.clientToServer : secrets.traffic.serverToClient;
  const sealers = {
    client_to_server: new RecordCipher(keysOf("client_to_server")),
    server_to_client: new RecordCipher(keysOf("server_to_client")),
  };
  const openers = {
    client_to_server: new RecordCipher(keysOf("client_to_server")),
    server_to_client: new RecordCipher(keysOf("server_to_client")),
  };
  const counters = { client_to_server: 0, server_to_client: 0 };
  return specs.map((spec) => {
    const counter = counters[spec.direction]++;
    const compressed = (spec.flags & FrameFlag.COMPRESSED) !== 0;
    const body = compressed ? deflateBody(spec.plaintext) : spec.plaintext;
    const frame = sealers[spec.direction].seal(spec.cmd, spec.flags, spec.seq, body);

    const keys = keysOf(spec.direction);
    const nonce = recordNonce(keys.iv, counter);
    const aad = frame.subarray(0, HEADER_LENGTH);
    const cipher = createCipheriv(AEAD, keys.key, nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(aad);
    const direct = Buffer.concat([aad, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
    assertSameBytes(`${connection} record ${spec.direction} ${counter}`, frame, direct);
    const opened = openers[spec.direction].open({
      cmd: spec.cmd,
      flags: frame[7] as number,
      seq: spec.seq,
      body: frame.subarray(HEADER_LENGTH),
    });
    const plain = compressed ? inflateBody(opened, SERVER.maxBodyBytes) : opened;
    assertSameBytes(`${connection} record ${spec.direction} ${counter} opened`, plain, spec.plaintext);

    return {
      connection,
      direction: spec.direction,
      counter,
      cmd: spec.cmd,
      /** As in the header: ENCRYPTED (0x01) is always set. */
      flags: frame[7] as number,
      seq: spec.seq,
      plaintext: hex(spec.plaintext),
      ...(compressed ? { deflated: hex(body) } : {}),
      nonce: hex(nonce),
      aad: hex(aad),
      frame: hex(frame),
    };
  });
}

export { AFTER_FAST_CONNECT, AFTER_HANDSHAKE };
