// The plugin's wire protocol: the only module that imports its generated code.
export { TimeSyncReply, TimeSyncRequest } from "./generated/acme/timesync/v1/time_sync.js";

/** TIME_SYNC: TimeSyncRequest -> TimeSyncReply. Plugin range 100-254; see time_sync.proto. */
export const TIME_SYNC = 100;

/** Plugin error codes (1000 and up), sent in ErrorReply.code; see time_sync.proto. */
export const TimeSyncError = {
  /** client_send_time_ms is 0, negative, or further from server time than maxSkewMs. */
  IMPLAUSIBLE_CLIENT_TIME: 1001,
} as const;
