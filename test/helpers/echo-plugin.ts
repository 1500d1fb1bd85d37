import {
  type CommandHandler,
  definePlugin,
  type HandlerContext,
  Handles,
  ok,
  type Reply,
  registerHandlers,
} from "../../core/index.js";

/** A plugin command that needs a session, for tests: cmd 100. */
export const ECHO = 100;

/**
 * Answers OK with data = "<session id>|<resumed>|<body as utf-8>", so a test
 * sees both that the command was served and which session served it.
 */
@Handles(ECHO, { access: "session" })
export class EchoHandler implements CommandHandler<Buffer> {
  handle(body: Buffer, context: HandlerContext): Reply {
    const session = context.connection.session;
    return ok(`${session?.sessionId ?? ""}|${session?.resumed ?? ""}|${body.toString("utf8")}`);
  }
}

export const echoPlugin = definePlugin({
  name: "test-echo",
  version: "0.0.0",
  register(container) {
    registerHandlers(container, EchoHandler);
  },
});

export const withEcho = [{ plugin: echoPlugin }];
