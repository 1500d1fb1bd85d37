import { definePlugin, Hooks, type Plugin } from "../../core/index.js";

/** The command of the greeting push. */
export const GREETING = 120;

/** Pushes `fresh` (or `resumed`) the moment a session exists, as a plugin delivering offline messages would. */
export function greeterPlugin(fresh = "new", resumed = "resumed"): Plugin {
  return definePlugin({
    name: "test-greeter",
    register(container) {
      container.resolve(Hooks).add("onSessionEstablished", (connection, session) => {
        connection.send(GREETING, 0, connection.nextSeq(), Buffer.from(session.resumed ? resumed : fresh));
      });
    },
  });
}
