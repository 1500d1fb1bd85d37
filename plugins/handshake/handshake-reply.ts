import {
  type EstablishedSecrets,
  handshakeSecrets,
  signatureInput,
  transcriptHash,
} from "../../core/crypto/key-schedule.js";
import type { IdentityKey } from "../../core/index.js";
import { encodeMessage, type HandshakeOk, HandshakeServerHello } from "../../core/protocol/index.js";

/** What the server's HANDSHAKE reply is made of, before signing. */
export interface HandshakeReplyParts {
  /** The serialized HandshakeServerHello, exactly as sent and hashed. */
  readonly serverHello: Buffer;
  readonly transcriptHash: Buffer;
  readonly secrets: EstablishedSecrets;
}

/**
 * The server's half of the key schedule for one HandshakeServerHello. Pure:
 * the handler feeds it fresh randomness, the test-vector generator fixed
 * values, so the vectors come from the very code that serves clients.
 *
 * `requestBody` is the HandshakeRequest as received (after inflating), never a
 * re-encoding; `shared` is X25519(server ephemeral, client_share).
 */
export function handshakeReplyParts(
  requestBody: Uint8Array,
  shared: Uint8Array,
  hello: HandshakeServerHello,
): HandshakeReplyParts {
  const serverHello = encodeMessage(HandshakeServerHello, hello);
  const th = transcriptHash(requestBody, serverHello);
  return { serverHello, transcriptHash: th, secrets: handshakeSecrets(shared, th) };
}

/** HandshakeOk: the server hello and the identity key's signature over the transcript. */
export function signedHandshakeOk(identity: IdentityKey, parts: HandshakeReplyParts): HandshakeOk {
  return { serverHello: parts.serverHello, signature: identity.sign(signatureInput(parts.transcriptHash)) };
}
