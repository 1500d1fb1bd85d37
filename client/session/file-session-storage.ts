import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { makeDirectories } from "../../core/runtime/make-directories.js";
import { type ClientSession, isClientSession, type SessionStorage } from "./client-session.js";

/**
 * A session in a JSON file, written atomically with mode 0600: a temp file
 * with an unguessable name is created exclusively (O_EXCL, so nothing planted
 * at that path, symlink or file, is ever written through), flushed, then
 * renamed over the target. Concurrent saves never share a temp file; the last
 * rename wins. A missing or unreadable file is "no session", never an error:
 * the client then simply handshakes. `onUnusable` hears why a file that is
 * there gave no session (a missing one is the normal first run).
 */
export class FileSessionStorage implements SessionStorage {
  constructor(
    private readonly file: string,
    private readonly options: { readonly onUnusable?: (reason: string) => void } = {},
  ) {}

  async load(): Promise<ClientSession | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "ENOENT") this.unusable(`cannot be read: ${describe(cause)}`);
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.unusable("is not JSON");
      return undefined;
    }
    if (isClientSession(parsed)) return parsed;
    this.unusable("does not hold a session");
    return undefined;
  }

  private unusable(reason: string): void {
    this.options.onUnusable?.(reason);
  }

  /** Rejects with an error naming the file and what is wrong with it, never the temp file's name. */
  async save(session: ClientSession): Promise<void> {
    try {
      await this.write(session);
    } catch (cause) {
      throw new Error(`${this.file}: ${describe(cause)}`, { cause });
    }
  }

  private async write(session: ClientSession): Promise<void> {
    const dir = dirname(this.file);
    await makeDirectories(dir, 0o700);
    const temp = join(dir, `.${basename(this.file)}.${randomBytes(8).toString("hex")}.tmp`);
    const handle = await open(temp, "wx", 0o600);
    try {
      try {
        await handle.writeFile(`${JSON.stringify(session, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

const WHY: Readonly<Record<string, string>> = {
  EISDIR: "it is a directory",
  ENOTDIR: "a parent of it is not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
};

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code && WHY[code]) ?? (error instanceof Error ? error.message : String(error));
}
