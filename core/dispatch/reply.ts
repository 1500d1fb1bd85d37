import type { EstablishedSecrets } from "../crypto/key-schedule.js";
import { encodeMessage, type MessageCodec } from "../protocol/message-codec.js";
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
