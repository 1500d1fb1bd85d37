import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { sleep } from "./wait.js";

/** The repository root (this file runs from build/test/helpers/). */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <script> ...args` from the repository root and collects its output. */
export function runNode(script: string, args: string[], timeoutMs = 15_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} ${args.join(" ")} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `mpush client ...` as a user runs it: node build/client/cli/main.js client ... */
export function runCli(args: string[]): Promise<Finished> {
  return runNode("build/client/cli/main.js", ["client", ...args]);
}

/** A server node as a child process: `node build/core/main.js` configured by MPUSH_* variables. */
export class ChildServer {
  private output = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on("data", (c: Buffer) => {
      this.output += c.toString();
    });
    child.stderr?.on("data", (c: Buffer) => {
      this.output += c.toString();
    });
  }

  /** What the node printed so far (logs). */
  get log(): string {
    return this.output;
  }

  static async start(env: Record<string, string>): Promise<ChildServer> {
    const port = Number(env.MPUSH_PORT);
    const child = spawn(process.execPath, ["build/core/main.js"], {
      cwd: ROOT,
      env: { ...cleanEnv(), MPUSH_HOST: "127.0.0.1", MPUSH_LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const node = new ChildServer(child, port);
    let exited = false;
    child.once("exit", () => {
      exited = true;
    });
    for (let i = 0; i < 200; i++) {
      if (exited) throw new Error(`server node exited during boot:\n${node.output}`);
      if (await accepts(port)) return node;
      await sleep(25);
    }
    await node.stop();
    throw new Error(`server node did not listen on ${port}:\n${node.output}`);
  }

  /** Sends the process a signal (SIGSTOP and SIGCONT pause and resume it, as a suspended VM would be). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
  stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** The parent's environment without any MPUSH_* setting, so only what a test passes configures a child. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("MPUSH_")));
}
