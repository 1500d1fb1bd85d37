import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { IdentityKey } from "../../core/crypto/identity-key.js";
import { TIMER_MAX_MS } from "../client-options.js";
import { MPushClient } from "../mpush-client.js";
import { FileSessionStorage } from "../session/file-session-storage.js";
import { inspectFrames } from "./frame-inspector.js";
import { CLIENT_OPTIONS, CLIENT_REQUIRED, DECODE_OPTIONS, KEYGEN_OPTIONS, KEYGEN_REQUIRED, USAGE } from "./usage.js";

const PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));

async function runDecode(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: DECODE_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  const direction = values.direction;
  if (direction !== "up" && direction !== "down") throw new UsageError(`--direction must be up or down`);
  const text = positionals[0] ?? (await readStdin());
  const hex = text.replace(/[^0-9a-fA-F]/g, "");
  if (hex.length === 0 || hex.length % 2 !== 0) throw new UsageError("expected an even number of hex digits");
  const frames = await inspectFrames(Buffer.from(hex, "hex"), {
    direction,
    protoRoots: [PROTO_ROOT, ...(values["proto-dir"] as string[])],
    type: values.type,
  });
  for (const frame of frames) process.stdout.write(`${JSON.stringify(frame)}\n`);
  if (frames.some((frame) => "error" in frame)) process.exitCode = 1;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function runKeygen(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: KEYGEN_OPTIONS,
    strict: true,
  });
  requireFlags(values, KEYGEN_REQUIRED);
  const file = values["key-file"] as string;
  const previousFile = values["keep-sessions-of"];
  let previous: IdentityKey | undefined;
  if (previousFile !== undefined) {
    try {
      previous = IdentityKey.fromPem(await readFile(previousFile, "utf8"));
    } catch (cause) {
      throw new Error(`cannot use ${previousFile} as the previous key: ${(cause as Error).message}`, { cause });
    }
  }
  const key = IdentityKey.generate(previous);
  try {
    await key.writeTo(file);
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === "EEXIST" ? "it exists already" : (cause as Error).message;
    throw new Error(`cannot write key file ${file}: ${reason}`, { cause });
  }
  process.stdout.write(
    `${JSON.stringify({
      keyFile: file,
      publicKeyFile: `${file}.pub`,
      fingerprint: key.fingerprint,
      // What each node logs at boot: nodes that log the same one open each other's sessions.
      storageId: key.storageId,
      keptSessionsOf: previous?.fingerprint ?? null,
    })}\n`,
  );
}

async function runClient(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: CLIENT_OPTIONS,
    strict: true,
  });
  requireFlags(values, CLIENT_REQUIRED);
  // Every argument is checked before anything is read or sent.
  const port = integer("port", values.port as string, 65535);
  const heartbeat = {
    minMs: integer("heartbeat-min-ms", values["heartbeat-min-ms"] as string),
    maxMs: integer("heartbeat-max-ms", values["heartbeat-max-ms"] as string),
  };
  if (heartbeat.maxMs !== 0 && heartbeat.minMs > heartbeat.maxMs) {
    throw new UsageError(`--heartbeat-min-ms ${heartbeat.minMs} is above --heartbeat-max-ms ${heartbeat.maxMs}`);
  }
  const timeoutMs = integer("timeout-ms", values["timeout-ms"] as string, TIMER_MAX_MS);
  const serverKey = await Promise.all(
    (values["server-key"] as string[]).map((file) =>
      readFile(file, "utf8").catch((cause: Error) => {
        throw new Error(`cannot read server key ${file}: ${cause.message}`, { cause });
      }),
    ),
  );
  const client = new MPushClient({
    host: values.host as string,
    port,
    serverKey,
    device: {
      deviceId: values["device-id"] as string,
      osName: values["os-name"] as string,
      osVersion: values["os-version"] as string,
      clientVersion: values["client-version"] as string,
    },
    heartbeat,
    storage: new FileSessionStorage(values["session-file"] as string, {
      onUnusable: (reason) =>
        process.stderr.write(`mpush: session file ${values["session-file"]} ${reason}; handshaking\n`),
    }),
    connectTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
  });
  const outcome = await client.connect();
  process.stdout.write(
    `${JSON.stringify({
      outcome: outcome.outcome,
      sessionId: outcome.sessionId ?? null,
      heartbeatMs: outcome.heartbeatMs,
      ...(outcome.fastConnectError ? { fastConnectError: outcome.fastConnectError } : {}),
    })}\n`,
  );
  await client.close();
  // Connected, but the session the next run would resume is not in the file: say so, and fail.
  if (outcome.storageError) {
    const file = values["session-file"] as string;
    const { message } = outcome.storageError;
    // A storage timeout does not know it was a file; the user must learn which one.
    throw new Error(`connected, but ${message}${message.includes(file) ? "" : ` (session file ${file})`}`);
  }
}

class UsageError extends Error {}

function requireFlags(values: Record<string, unknown>, names: readonly string[]): void {
  const missing = names.filter((name) => !values[name]);
  if (missing.length > 0) throw new UsageError(`missing --${missing.join(", --")}`);
}

/** The heartbeat bounds travel as uint32. */
const UINT32_MAX = 0xffff_ffff;

function integer(name: string, raw: string, max = UINT32_MAX): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value > max) throw new UsageError(`--${name} must be at most ${max}, got ${raw}`);
  return value;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "help" || argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === "client") return runClient(rest);
  if (command === "decode") return runDecode(rest);
  if (command === "keygen") return runKeygen(rest);
  throw new UsageError(command ? `unknown command "${command}"` : "no command given");
}

main(process.argv.slice(2)).then(
  // 0 unless a command set process.exitCode (decode, for a body it could not read).
  () => process.exit(),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`mpush: ${message}\n`);
    // A ServerError's code is the protocol's number; only Node's argument errors carry a string one.
    const code = (error as { code?: unknown }).code;
    if (error instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`${USAGE}\n`);
      process.exit(2);
    }
    process.exit(1);
  },
);
