import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

const run = promisify(execFile);

/**
 * A real redis-server of the test's own, on a free loopback port, no
 * persistence, daemonized with a pidfile and stopped by PID. Needs
 * redis-server on PATH (.ci/run installs it); a test that needs Redis fails,
 * it is never skipped.
 */
export class RedisServer {
  private constructor(
    readonly port: number,
    private pidFile: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(port?: number): Promise<RedisServer> {
    const chosen = port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), "mpush-redis-"));
    const pidFile = join(dir, "redis.pid");
    await run("redis-server", [
      "--port",
      String(chosen),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "yes",
      "--pidfile",
      pidFile,
      "--dir",
      dir,
      "--logfile",
      join(dir, "redis.log"),
    ]);
    const server = new RedisServer(chosen, pidFile);
    await server.waitUntil(true);
    return server;
  }

  /** Runs a redis-cli command against this server and returns its output. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run("redis-cli", ["-p", String(this.port), ...args]);
    return stdout.trim();
  }

  /** Every key with its value as raw bytes (redis-cli --scan, then GET each). */
  async dump(): Promise<Map<string, Buffer>> {
    const keys = (await this.cli("--scan")).split("\n").filter(Boolean);
    const out = new Map<string, Buffer>();
    for (const key of keys) {
      const { stdout } = await run("redis-cli", ["-p", String(this.port), "--raw", "GET", key], {
        encoding: "buffer",
      });
      // redis-cli ends the value with one newline.
      out.set(key, stdout.subarray(0, stdout.length - 1));
    }
    return out;
  }

  async pttl(key: string): Promise<number> {
    return Number(await this.cli("PTTL", key));
  }

  async stop(): Promise<void> {
    let pid: number;
    try {
      pid = Number(readFileSync(this.pidFile, "utf8").trim());
    } catch {
      return;
    }
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      return;
    }
    await this.waitUntil(false);
  }

  /**
   * Starts a new server on the same port (after stop()), as when Redis comes
   * back. This object then stands for the new process, so one stop() in a
   * teardown stops whichever is running.
   */
  async restart(): Promise<RedisServer> {
    const next = await RedisServer.start(this.port);
    this.pidFile = next.pidFile;
    return this;
  }

  private async waitUntil(up: boolean): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const alive = await run("redis-cli", ["-p", String(this.port), "ping"]).then(
        ({ stdout }) => stdout.trim() === "PONG",
        () => false,
      );
      if (alive === up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis on port ${this.port} did not ${up ? "start" : "stop"}`);
  }
}
