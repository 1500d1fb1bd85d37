import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type ClientSession, isClientSession, type SessionStorage } from "./client-session.js";

/**
 * A session in a JSON file, written atomically (temp file + rename) with mode
 * 0600. A missing or unreadable file is "no session", never an error: the
 * client then simply handshakes.
 */
export class FileSessionStorage implements SessionStorage {
  constructor(private readonly file: string) {}

  async load(): Promise<ClientSession | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      return undefined;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      return isClientSession(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  async save(session: ClientSession): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, this.file);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
