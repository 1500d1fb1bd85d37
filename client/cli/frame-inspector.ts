import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import protobuf from "protobufjs";
import { FrameDecoder } from "../../core/protocol/frame-decoder.js";
import { FrameFlag, HEARTBEAT_PACKET, type Packet } from "../../core/protocol/packet.js";

/** Which message a body holds, by command and direction (a reply shares its request's command). */
const MESSAGES: Record<number, { up?: string; down?: string }> = {
  2: { up: "mpush.v1.HandshakeRequest", down: "mpush.v1.HandshakeOk" },
  7: { up: "mpush.v1.FastConnectRequest", down: "mpush.v1.FastConnectOk" },
  10: { down: "mpush.v1.ErrorReply" },
  11: { down: "mpush.v1.OkReply" },
};

/** Bytes fields that carry a serialized message, decoded in place for readability. */
const NESTED: Record<string, Record<string, string>> = {
  "mpush.v1.HandshakeOk": { serverHello: "mpush.v1.HandshakeServerHello" },
  "mpush.v1.FastConnectRequest": { hello: "mpush.v1.FastConnectHello" },
  "mpush.v1.FastConnectOk": { serverHello: "mpush.v1.FastConnectServerHello" },
};

export interface InspectOptions {
  readonly direction: "up" | "down";
  /** Extra .proto roots (a plugin's), and a message type for bodies of unknown commands. */
  readonly protoRoots: readonly string[];
  readonly type?: string;
}

/**
 * Decodes frames from raw bytes with protobufjs reflection over the .proto
 * files themselves: an implementation independent of the generated code, for
 * client authors checking their bytes. Sealed bodies are reported, not opened;
 * trailing bytes that make no whole frame are reported as incomplete.
 */
export async function inspectFrames(bytes: Buffer, options: InspectOptions): Promise<object[]> {
  const root = await loadRoot(options.protoRoots);
  const out: object[] = [];
  const packets: Packet[] = [];
  const decoder = new FrameDecoder(0xdeffffff);
  decoder.push(bytes, (p) => packets.push(p));
  for (const packet of packets) {
    if (packet === HEARTBEAT_PACKET) {
      out.push({ heartbeat: true });
      continue;
    }
    const frame: Record<string, unknown> = {
      cmd: packet.cmd,
      flags: packet.flags,
      seq: packet.seq,
      length: packet.body.length,
    };
    const typeName = MESSAGES[packet.cmd]?.[options.direction] ?? options.type;
    if ((packet.flags & FrameFlag.ENCRYPTED) !== 0) frame.body = "(sealed)";
    else if (typeName) Object.assign(frame, decodeOrSay(root, typeName, packet.body, options.direction));
    else frame.bodyHex = packet.body.toString("hex");
    out.push(frame);
  }
  // Said, not dropped: a client author pasting a cut capture must not read it as complete.
  if (decoder.buffered > 0) out.push({ incomplete: true, bytes: decoder.buffered });
  return out;
}

/** A body that is not the expected message is reported with its bytes, and the other frames still decoded. */
function decodeOrSay(
  root: protobuf.Root,
  typeName: string,
  body: Uint8Array,
  direction: "up" | "down",
): Record<string, unknown> {
  try {
    return { [typeName]: decode(root, typeName, body) };
  } catch (cause) {
    const other = direction === "up" ? "down" : "up";
    return {
      error: `not a ${typeName} (read as --direction ${direction}; try ${other}): ${(cause as Error).message}`,
      bodyHex: Buffer.from(body).toString("hex"),
    };
  }
}

function decode(root: protobuf.Root, typeName: string, body: Uint8Array): Record<string, unknown> {
  const type = root.lookupType(typeName);
  const object = type.toObject(type.decode(body), { enums: String, longs: Number, bytes: String, defaults: true });
  for (const [field, nestedType] of Object.entries(NESTED[typeName] ?? {})) {
    const raw = type.decode(body) as unknown as Record<string, Uint8Array>;
    if (raw[field]?.length) object[field] = decode(root, nestedType, raw[field]);
  }
  return object;
}

async function loadRoot(roots: readonly string[]): Promise<protobuf.Root> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of roots) {
      const candidate = join(dir, target);
      if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    }
    return target;
  };
  const files = roots.flatMap((dir) => protoFiles(dir).map((f) => relative(dir, f)));
  await root.load(files, { keepCase: false });
  return root;
}

function protoFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return protoFiles(path);
    return entry.name.endsWith(".proto") ? [path] : [];
  });
}
