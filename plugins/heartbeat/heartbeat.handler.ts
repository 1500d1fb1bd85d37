import { Command, type CommandHandler, Handles, heartbeat, type Reply } from "../../core/index.js";

/** 0xDF in, 0xDF out; accepted before a session too, as MPush does. */
@Handles(Command.HEARTBEAT, { access: "public" })
export class HeartbeatHandler implements CommandHandler<Buffer> {
  handle(): Reply {
    return heartbeat();
  }
}
