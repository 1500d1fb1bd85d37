import { type EstablishedSecrets, type ResumeSchedule, transcriptHash } from "../../core/crypto/key-schedule.js";
import { encodeMessage, type FastConnectOk, FastConnectServerHello } from "../../core/protocol/index.js";

/** What the server's FAST_CONNECT reply is made of. */
export interface FastConnectReplyParts {
  readonly ok: FastConnectOk;
  readonly transcriptHash: Buffer;
  /** Traffic keys of this connection and the rotated session's secret. */
  readonly secrets: EstablishedSecrets;
}

/**
 * The server's half of a resume, once every check has passed. Pure, like
 * handshakeReplyParts: the handler feeds it a fresh nonce and id, the
 * test-vector generator fixed ones. `hello` is the FastConnectHello bytes as
 * received in the request, never a re-encoding.
 */
export function fastConnectReplyParts(
  schedule: ResumeSchedule,
  hello: Uint8Array,
  serverHello: FastConnectServerHello,
): FastConnectReplyParts {
  const serverHelloBytes = encodeMessage(FastConnectServerHello, serverHello);
  const th = transcriptHash(hello, serverHelloBytes);
  return {
    ok: { serverHello: serverHelloBytes, finished: schedule.finished(th) },
    transcriptHash: th,
    secrets: schedule.established(th),
  };
}
