import "reflect-metadata";
import { loadConfig, unknownVariables } from "./config/load-config.js";
import { BootError } from "./errors/boot-errors.js";
import { createStdoutLog } from "./log/logger.js";
import { MPushServer } from "./server/server.js";

/** How long an exit waits for a stdout reader that takes nothing before it drops the last log lines. */
const LOG_FLUSH_AT_EXIT_MS = 2000;

/** `npm start`: embedded defaults, then $MPUSH_CONFIG, then MPUSH_* variables. */
async function main(): Promise<void> {
  const config = loadConfig();
  const stdout = createStdoutLog(config.logLevel);
  // Ahead of pino's own exit flush, which would wait forever on a full pipe; every way out passes here.
  process.prependListener("exit", () => stdout.flushBeforeExit(LOG_FLUSH_AT_EXIT_MS));
  const log = stdout.logger;
  for (const { name, nearest } of unknownVariables(process.env)) {
    log.warn(
      { variable: name, nearest },
      `${name} is not a server setting and is ignored${nearest ? `: did you mean ${nearest}?` : ""}`,
    );
  }
  const server = await MPushServer.create({ config, logger: log });
  await server.listen();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  const message = error instanceof BootError ? error.message : ((error as Error)?.stack ?? String(error));
  process.stderr.write(`mpush: failed to start: ${message}\n`);
  if (error instanceof Error && error.cause)
    process.stderr.write(`  caused by: ${(error.cause as Error).message ?? error.cause}\n`);
  process.exit(1);
});
