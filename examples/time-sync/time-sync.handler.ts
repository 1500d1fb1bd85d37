import { CLOCK, type Clock, type CommandHandler, Handles, inject, ProtocolError, type Reply, reply } from "mpush-ts";
import { TIME_SYNC, TimeSyncError, TimeSyncReply, TimeSyncRequest } from "./protocol.js";
import { TIME_SYNC_OPTIONS, type TimeSyncOptions } from "./time-sync-options.js";

/** Answers with the server's receive and send times; public, so a client can sync before HANDSHAKE. */
@Handles(TIME_SYNC, { request: TimeSyncRequest, access: "public" })
export class TimeSyncHandler implements CommandHandler<TimeSyncRequest> {
  constructor(
    @inject(CLOCK) private readonly clock: Clock,
    @inject(TIME_SYNC_OPTIONS) private readonly options: TimeSyncOptions,
  ) {}

  handle(request: TimeSyncRequest): Reply {
    const receivedAt = this.clock.now();
    const sentAt = request.clientSendTimeMs;
    if (sentAt <= 0 || Math.abs(receivedAt - sentAt) > this.options.maxSkewMs) {
      throw new ProtocolError(
        TimeSyncError.IMPLAUSIBLE_CLIENT_TIME,
        `client_send_time_ms ${sentAt} is not a plausible clock reading (allowed skew ${this.options.maxSkewMs} ms)`,
      );
    }
    return reply(TimeSyncReply, {
      clientSendTimeMs: sentAt,
      serverReceiveTimeMs: receivedAt,
      serverSendTimeMs: this.clock.now(),
      nodeLabel: this.options.label,
    });
  }
}
