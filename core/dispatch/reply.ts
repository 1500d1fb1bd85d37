import type { EstablishedSecrets } from "../crypto/key-schedule.js";
import { encodeMessage, type MessageCodec } from "../protocol/message-codec.js";
import { FrameFlag } from "../protocol/packet.js";
import type { SessionContext } from "../session/session-context.js";

/**
 * Sent after the reply is queued: the keys switch on at once (the reply itself
 * goes in clear), the session is set on the connection once the reply was
 * written. If the write fails, no session is restored.
 */
export interface Establishment {
  readonly session: SessionContext;
  readonly secrets: EstablishedSecrets;
}

export type Reply =
  | {
      readonly kind: "message";
      /** Defaults to the request's command. */
      readonly cmd?: number;
      readonly flags?: number;
      readonly body: Buffer;
      readonly establish?: Establishment;
    }
  | { readonly kind: "ok"; readonly data: string }
  | { readonly kind: "heartbeat" };

/** A reply carrying `message`, with the request's command unless `options.cmd` says otherwise. */
export function reply<T>(
  codec: MessageCodec<T>,
  message: T,
  options: { cmd?: number; flags?: number; establish?: Establishment } = {},
): Reply {
  return { kind: "message", body: encodeMessage(codec, message), ...options };
}

/** OK (cmd 11) with OkReply{command: the request's command, data}. */
export function ok(data = ""): Reply {
  return { kind: "ok", data };
}

const HEARTBEAT: Reply = Object.freeze({ kind: "heartbeat" });

/** The 0xDF byte. */
export function heartbeat(): Reply {
  return HEARTBEAT;
}

/** Flags a handler may set: the record layer and the dispatcher own ENCRYPTED and COMPRESSED. */
const HANDLER_FLAGS = FrameFlag.BIZ_ACK | FrameFlag.AUTO_ACK;

/** Why `value` is not a Reply the dispatcher can send, or undefined when it is one. */
export function replyProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return `${value === null ? "null" : typeof value}, not a Reply`;
  const reply = value as Record<string, unknown>;
  switch (reply.kind) {
    case "heartbeat":
      return undefined;
    case "ok":
      return typeof reply.data === "string" ? undefined : "an ok Reply whose data is not a string";
    case "message":
      if (!(reply.body instanceof Uint8Array)) return "a message Reply whose body is not bytes";
      if (
        reply.cmd !== undefined &&
        !(Number.isInteger(reply.cmd) && (reply.cmd as number) >= 1 && (reply.cmd as number) <= 254)
      ) {
        return `a message Reply with cmd ${String(reply.cmd)}, not 1-254`;
      }
      if (reply.establish !== undefined && !isEstablishment(reply.establish)) {
        return "a message Reply whose establish is not { session, secrets: { traffic } }";
      }
      if (
        reply.flags !== undefined &&
        !(Number.isInteger(reply.flags) && ((reply.flags as number) & ~HANDLER_FLAGS) === 0)
      ) {
        return `a message Reply with flags ${String(reply.flags)}, not BIZ_ACK/AUTO_ACK bits`;
      }
      return undefined;
    default:
      return `an object of kind ${String(reply.kind)}, not a Reply`;
  }
}

function isEstablishment(value: unknown): boolean {
  const establish = value as { session?: unknown; secrets?: { traffic?: unknown } } | null;
  return (
    typeof establish?.session === "object" &&
    establish.session !== null &&
    typeof establish.secrets?.traffic === "object" &&
    establish.secrets.traffic !== null
  );
}
