import { definePlugin, registerHandlers } from "../../core/index.js";
import { FastConnectHandler } from "./fast-connect.handler.js";

/** FAST_CONNECT: resume a stored session with proof of possession, on any node that shares the store. */
export default definePlugin({
  name: "fast-connect",
  version: "1.0.0",
  dependsOn: ["heartbeat"],
  register(container) {
    registerHandlers(container, FastConnectHandler);
  },
});
