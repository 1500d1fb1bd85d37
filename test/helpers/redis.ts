import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../scripts/free-port.js";
import { reservedPort } from "./ports.js";

const run = promisify(execFile);

/** A CA and a certificate for 127.0.0.1 it signed (test/helpers/tls-certs.ts). */
export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface RedisOptions {
  /** Default: a free one. */
  readonly port?: number;
  /** requirepass (and masterauth, for a cluster's nodes). */
  readonly password?: string;
  /** TLS only, on `port`: the plain port is closed. Clients are not asked for a certificate. */
  readonly tls?: TlsFiles;
  /** More redis-server arguments. */
  readonly args?: readonly string[];
}

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
    private readonly options: RedisOptions,
  ) {}

  get password(): string | undefined {
    return this.options.password;
  }

  get url(): string {
    const scheme = this.options.tls ? "rediss" : "redis";
    return `${scheme}://${this.password === undefined ? "" : `:${encodeURIComponent(this.password)}@`}127.0.0.1:${this.port}`;
  }

  /** redis-cli's arguments that reach this server: TLS and the password, if any. */
  get cliArgs(): string[] {
    const { password, tls } = this.options;
    return [
      ...(tls ? ["--tls", "--cacert", tls.ca] : []),
      ...(password === undefined ? [] : ["-a", password, "--no-auth-warning"]),
    ];
  }

  static async start(options: RedisOptions = {}): Promise<RedisServer> {
    // Not freePort(): restart() comes back on this port, which no other file may take meanwhile.
    const chosen = options.port ?? (await reservedPort());
    const dir = mkdtempSync(join(tmpdir(), "mpush-redis-"));
    const pidFile = join(dir, "redis.pid");
    const { password, tls } = options;
    await run("redis-server", [
      ...(tls
        ? ["--port", "0", "--tls-port", String(chosen), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key]
        : ["--port", String(chosen)]),
      ...(tls ? ["--tls-ca-cert-file", tls.ca, "--tls-auth-clients", "no"] : []),
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
      ...(password === undefined ? [] : ["--requirepass", password, "--masterauth", password]),
      ...(options.args ?? []),
    ]);
    const server = new RedisServer(chosen, pidFile, options);
    await server.waitUntil(true);
    return server;
  }

  /** Runs a redis-cli command against this server and returns its output. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run("redis-cli", [...this.cliArgs, "-p", String(this.port), ...args]);
    return stdout.trim();
  }

  /** Every key with its value as raw bytes (redis-cli --scan, then GET each). */
  async dump(): Promise<Map<string, Buffer>> {
    const keys = (await this.cli("--scan")).split("\n").filter(Boolean);
    const out = new Map<string, Buffer>();
    for (const key of keys) {
      const { stdout } = await run("redis-cli", [...this.cliArgs, "-p", String(this.port), "--raw", "GET", key], {
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
    const next = await RedisServer.start({ ...this.options, port: this.port });
    this.pidFile = next.pidFile;
    return this;
  }

  private async waitUntil(up: boolean): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const alive = await run("redis-cli", [...this.cliArgs, "-p", String(this.port), "ping"]).then(
        ({ stdout }) => stdout.trim() === "PONG",
        () => false,
      );
      if (alive === up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis on port ${this.port} did not ${up ? "start" : "stop"}`);
  }
}

/** A port p such that p and its cluster bus port p + 10000 are both free. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = await freePort();
    if (port > 55_000 || taken.has(port) || taken.has(port + 10_000)) continue;
    if (await isFree(port + 10_000)) return port;
  }
  throw new Error("no free port pair for a cluster node");
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/**
 * A real Redis Cluster of `masters` masters and no replicas on loopback
 * (redis-server --cluster-enabled yes, then redis-cli --cluster create),
 * stopped by PID like RedisServer.
 */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  /** "redis+cluster://[:password@]h:p1,h:p2" with the first `seeds` nodes: what session.store takes. */
  storeUrl(seeds = 2): string {
    const first = this.nodes[0];
    const scheme = first?.url.startsWith("rediss:") ? "rediss" : "redis";
    const password = first?.password;
    return `${scheme}+cluster://${password === undefined ? "" : `:${encodeURIComponent(password)}@`}${this.nodes
      .slice(0, seeds)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(",")}`;
  }

  /** `options` (a password, TLS) apply to every node, and to the cluster bus. */
  static async start(masters = 3, options: Omit<RedisOptions, "port" | "args"> = {}): Promise<RedisCluster> {
    const taken = new Set<number>();
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) {
        const port = await clusterPort(taken);
        taken.add(port);
        taken.add(port + 10_000);
        const args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"];
        if (options.tls) args.push("--tls-cluster", "yes", "--tls-replication", "yes");
        nodes.push(await RedisServer.start({ ...options, port, args }));
      }
      await run("redis-cli", [
        ...(nodes[0]?.cliArgs ?? []),
        "--cluster",
        "create",
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ]);
      const cluster = new RedisCluster(nodes);
      await cluster.waitUntilOk();
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw error;
    }
  }

  /** Every key on every master with its value (each node scanned on its own). */
  async dump(): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const node of this.nodes) for (const [k, v] of await node.dump()) out.set(k, v);
    return out;
  }

  /** The node holding `key`'s slot answers PTTL. */
  async pttl(key: string): Promise<number> {
    const { stdout } = await run("redis-cli", [
      ...(this.nodes[0]?.cliArgs ?? []),
      "-c",
      "-p",
      String(this.nodes[0]?.port),
      "PTTL",
      key,
    ]);
    return Number(stdout.trim());
  }

  stop(): Promise<void> {
    return Promise.all(this.nodes.map((n) => n.stop())).then(() => undefined);
  }

  private async waitUntilOk(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const states = await Promise.all(this.nodes.map((n) => n.cli("CLUSTER", "INFO")));
      if (states.every((s) => s.includes("cluster_state:ok"))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the cluster did not reach cluster_state:ok");
  }
}
