import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pino } from "pino";
import {
  type Clock,
  type ConfigInput,
  type Logger,
  loadConfig,
  MPushServer,
  type Plugin,
  type ServerConfig,
  systemClock,
} from "../../core/index.js";

export interface TestServer {
  readonly server: MPushServer;
  readonly config: ServerConfig;
  readonly port: number;
  readonly keyFile: string;
  close(): Promise<void>;
}

/** A temporary directory holding a fresh identity key path (the key is created on boot). */
export function tempKeyFile(): string {
  return join(mkdtempSync(join(tmpdir(), "mpush-test-")), "server.key");
}

/**
 * A real server on 127.0.0.1 and a free port, built from the embedded defaults
 * plus `overrides` (no environment, no config file), silent unless
 * MPUSH_TEST_LOG is set.
 */
export async function startServer(
  overrides: ConfigInput = {},
  plugins: readonly { plugin: Plugin; options?: unknown }[] = [],
  options: { clock?: Clock; logger?: Logger } = {},
): Promise<TestServer> {
  const ownKey = overrides.keyFile === undefined;
  const keyFile = overrides.keyFile ?? tempKeyFile();
  const config = loadConfig({ env: {}, overrides: { host: "127.0.0.1", port: 0, keyFile, ...overrides } });
  const logger = options.logger ?? pino({ level: process.env.MPUSH_TEST_LOG ?? "silent" });
  const server = await MPushServer.create({ config, logger, plugins, clock: options.clock });
  const { port } = await server.listen();
  const close = async () => {
    await server.close();
    if (ownKey) rmSync(dirname(keyFile), { recursive: true, force: true });
  };
  return { server, config, port, keyFile, close };
}

/** Real time plus an offset the test moves forward: the wall clock only, as an operator setting it would. */
export class ManualClock implements Clock {
  offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  steady(): number {
    return systemClock.steady();
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
