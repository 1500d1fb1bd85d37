import { type CommandHandler, definePlugin, Handles, ok, type Reply, registerHandlers } from "../core/index.js";

/** The framework-floor row's command: public, no body, answered OK. */
export const NO_OP_COMMAND = 200;

/**
 * Busy-waits this long per request when set (env BENCH_NO_OP_SPIN_US): shows
 * what a handler of a given CPU cost does to the rate, whatever the cost is made of.
 */
const SPIN_NS = BigInt(Math.round(Number(process.env.BENCH_NO_OP_SPIN_US ?? 0) * 1000));

/** What a command costs when it does nothing: framing, dispatch, the reply, the connection's bookkeeping. */
@Handles(NO_OP_COMMAND, { access: "public" })
class NoOpHandler implements CommandHandler<Buffer> {
  handle(): Reply {
    if (SPIN_NS > 0n) {
      const until = process.hrtime.bigint() + SPIN_NS;
      while (process.hrtime.bigint() < until);
    }
    return ok();
  }
}

export default definePlugin({
  name: "bench-no-op",
  register(container) {
    registerHandlers(container, NoOpHandler);
  },
});
