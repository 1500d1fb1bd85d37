import { definePlugin, registerHandlers } from "mpush-ts";
import { TimeSyncHandler } from "./time-sync.handler.js";
import { parseTimeSyncOptions, TIME_SYNC_OPTIONS } from "./time-sync-options.js";

/** TIME_SYNC (cmd 100): clock-offset sampling for clients, before or after a session. */
export default definePlugin({
  name: "time-sync",
  version: "1.0.0",
  register(container, { options }) {
    container.registerInstance(TIME_SYNC_OPTIONS, parseTimeSyncOptions(options));
    registerHandlers(container, TimeSyncHandler);
  },
});
