import { definePlugin, HEARTBEAT_POLICY, Hooks, registerHandlers } from "../../core/index.js";
import { HeartbeatHandler } from "./heartbeat.handler.js";
import { HeartbeatNegotiator } from "./heartbeat-negotiator.js";
import { LivenessMonitor } from "./liveness-monitor.js";

/** HEARTBEAT: echo, interval negotiation for the session commands, and the idle sweep. */
export default definePlugin({
  name: "heartbeat",
  version: "1.0.0",
  register(container) {
    registerHandlers(container, HeartbeatHandler);
    container.registerSingleton(HEARTBEAT_POLICY, HeartbeatNegotiator);
    container.registerSingleton(LivenessMonitor);
    const monitor = container.resolve(LivenessMonitor);
    const hooks = container.resolve(Hooks);
    hooks.add("onSessionEstablished", (connection) => monitor.watch(connection));
    hooks.add("onConnectionClose", (connection) => monitor.unwatch(connection));
  },
});
