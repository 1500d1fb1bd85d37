// The only module that imports generated/. Everything hand-written reaches the
// generated protocol through here, so a regeneration touches one file.
export { SessionRecord } from "../../generated/mpush/server/v1/session_record.js";
export { Command } from "../../generated/mpush/v1/command.js";
export { ErrorCode, ErrorReply } from "../../generated/mpush/v1/error.js";
export {
  FastConnectHello,
  FastConnectOk,
  FastConnectRequest,
  FastConnectServerHello,
} from "../../generated/mpush/v1/fast_connect.js";
export { HandshakeOk, HandshakeRequest, HandshakeServerHello } from "../../generated/mpush/v1/handshake.js";
export { OkReply } from "../../generated/mpush/v1/ok.js";
export * from "./message-codec.js";
export * from "./packet.js";
