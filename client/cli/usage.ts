import type { ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** What each command accepts; the usage text below names exactly these (test/client/cli-usage.test.ts). */
export const CLIENT_OPTIONS = {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string" },
  "device-id": { type: "string" },
  "session-file": { type: "string" },
  "server-key": { type: "string", multiple: true },
  "os-name": { type: "string", default: "cli" },
  "os-version": { type: "string", default: process.version },
  "client-version": { type: "string", default: "mpush-ts-cli/0.1.0" },
  "heartbeat-min-ms": { type: "string", default: "0" },
  "heartbeat-max-ms": { type: "string", default: "240000" },
  "timeout-ms": { type: "string", default: "5000" },
} as const satisfies Options;

export const CLIENT_REQUIRED = ["port", "device-id", "session-file", "server-key"] as const;

export const DECODE_OPTIONS = {
  direction: { type: "string", default: "up" },
  "proto-dir": { type: "string", multiple: true, default: [] },
  type: { type: "string" },
} as const satisfies Options;

export const KEYGEN_OPTIONS = {
  "key-file": { type: "string" },
  "keep-sessions-of": { type: "string" },
} as const satisfies Options;

export const KEYGEN_REQUIRED = ["key-file"] as const;

export const USAGE = `usage: mpush client [--host H] --port P --device-id D --session-file F --server-key K.pub...
                    [--os-name N] [--os-version V] [--client-version V]
                    [--heartbeat-min-ms MS] [--heartbeat-max-ms MS] [--timeout-ms MS]
       mpush decode [--direction up|down] [--proto-dir DIR]... [--type PKG.MESSAGE] [HEX]
       mpush keygen --key-file NEW [--keep-sessions-of OLD]
       mpush help (or --help, -h, after any command)

client: connects, resumes the session in F with FAST_CONNECT if it is usable,
        else (or when the server refuses) does a full HANDSHAKE; saves the
        session to F; prints one JSON line and exits 0 once connected. When
        F cannot be written it still prints the line, then exits 1 saying why.
        --server-key may be given more than once (old and new key during a
        rotation): a handshake signed by any of them is accepted. Defaults:
        --host 127.0.0.1, --os-name cli, --os-version this Node's version,
        --client-version mpush-ts-cli/0.1.0, --heartbeat-min-ms 0,
        --heartbeat-max-ms 240000, --timeout-ms 5000 (each step).
decode: prints the frames in HEX (or stdin) as JSON, decoded from the .proto
        files by reflection (protobufjs); "up" = client to server (default),
        "down" = server to client. A body that is not the expected message
        is printed with "error" and "bodyHex", and the exit status is 1.
keygen: writes a new identity key file NEW (mode 0600) and NEW.pub, and
        prints one JSON line. --keep-sessions-of: a planned rotation, the new
        key opens the sessions stored under OLD. Never after a compromise.`;
