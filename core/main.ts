import "reflect-metadata";
import { loadConfig, unknownVariables } from "./config/load-config.js";
import { BootError } from "./errors/boot-errors.js";
import { createStdoutLog, type StdoutLog } from "./log/logger.js";
import { MPushServer } from "./server/server.js";

/** Before the process exits, how long its last log lines may wait for a reader that has fallen behind. */
const LOG_DRAIN_MS = 1000;

let stdout: StdoutLog | undefined;

async function exit(code: number): Promise<never> {
  await stdout?.drain(LOG_DRAIN_MS);
  process.exit(code);
}

/** `npm start`: embedded defaults, then $MPUSH_CONFIG, then MPUSH_* variables. */
async function main(): Promise<void> {
  const config = loadConfig();
  stdout = createStdoutLog(config.logLevel);
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
      () => exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        return exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch(async (error: unknown) => {
  // The log lines of the boot so far go out first, so a terminal shows them before the failure.
  await stdout?.drain(LOG_DRAIN_MS);
  const message = error instanceof BootError ? error.message : ((error as Error)?.stack ?? String(error));
  process.stderr.write(`mpush: failed to start: ${message}\n`);
  if (error instanceof Error && error.cause)
    process.stderr.write(`  caused by: ${(error.cause as Error).message ?? error.cause}\n`);
  return exit(1);
});
