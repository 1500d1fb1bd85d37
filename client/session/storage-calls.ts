import { SessionStorageError } from "../flows/client-errors.js";
import type { ClientSession, SessionStorage } from "./client-session.js";

/**
 * One connection attempt's calls to the application's storage. A failure is
 * kept, not thrown: a full disk or a broken keystore must not cost the
 * connection, nor make every attempt handshake again.
 */
export class StorageCalls {
  /** The latest failure of this attempt. */
  failure: SessionStorageError | undefined;

  constructor(private readonly storage: SessionStorage) {}

  async load(): Promise<ClientSession | undefined> {
    try {
      return await this.storage.load();
    } catch (cause) {
      this.fail("load", cause);
      return undefined;
    }
  }

  /** Whether the session was saved. */
  async save(session: ClientSession): Promise<boolean> {
    try {
      await this.storage.save(session);
      return true;
    } catch (cause) {
      this.fail("save", cause);
      return false;
    }
  }

  async clear(): Promise<void> {
    try {
      await this.storage.clear();
    } catch (cause) {
      this.fail("clear", cause);
    }
  }

  private fail(what: string, cause: unknown): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.failure = new SessionStorageError(`cannot ${what} the session: ${reason}`, { cause });
  }
}
