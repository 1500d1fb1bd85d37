import { definePlugin, registerHandlers } from "../../core/index.js";
import { HandshakeHandler } from "./handshake.handler.js";

/** HANDSHAKE: authenticated, forward-secret key exchange that opens a resumable session. */
export default definePlugin({
  name: "handshake",
  version: "1.0.0",
  dependsOn: ["heartbeat"],
  register(container) {
    registerHandlers(container, HandshakeHandler);
  },
});
