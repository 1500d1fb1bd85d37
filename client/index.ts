// The TypeScript client SDK: `import { MPushClient } from "mpush-ts/client"`.
export { PinnedServerKey } from "../core/crypto/pinned-server-key.js";
export { Command, ErrorCode, ErrorReply, OkReply, type Packet } from "../core/protocol/index.js";
export type { MPushClientOptions } from "./client-options.js";
export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from "./connection/backoff.js";
export { ClientConnection, type RequestOptions } from "./connection/client-connection.js";
export { ServerError, SessionStorageError, VerificationError } from "./errors.js";
export { type ResumeTicket, startFastConnect } from "./flows/fast-connect-flow.js";
export {
  type DeviceInfo,
  type EstablishedSession,
  type HandshakeSession,
  type HeartbeatWish,
  startHandshake,
} from "./flows/handshake-flow.js";
export { type ConnectOutcome, MPushClient } from "./mpush-client.js";
export { type ClientSession, MemorySessionStorage, type SessionStorage } from "./session/client-session.js";
export { FileSessionStorage } from "./session/file-session-storage.js";
