import { SessionStorageError } from "../errors.js";
import type { ClientSession, SessionStorage } from "./client-session.js";

/**
 * Runs storage calls one after another. A call that timed out may still be
 * running; the next one waits for it to settle, so an old save or a clear that
 * answers late can never overwrite a newer session. While a call hangs, the
 * ones behind it time out too, which is what a hung storage deserves.
 */
export class StorageQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(call: () => Promise<T>): Promise<T> {
    const next = this.tail.then(call, call);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * One connection attempt's calls to the application's storage. A failure is
 * kept, not thrown: a full disk or a broken keystore must not cost the
 * connection, nor make every attempt handshake again. A call that does not
 * settle within `timeoutMs` counts as failed, so a storage that hangs cannot
 * hold the client's attempts up forever.
 */
export class StorageCalls {
  /** The latest failure of this attempt. */
  failure: SessionStorageError | undefined;

  constructor(
    private readonly storage: SessionStorage,
    private readonly queue: StorageQueue,
    private readonly timeoutMs: number,
  ) {}

  async load(): Promise<ClientSession | undefined> {
    try {
      return await this.bounded(() => this.storage.load());
    } catch (cause) {
      this.fail("load", cause);
      return undefined;
    }
  }

  /** Whether the session was saved. */
  async save(session: ClientSession): Promise<boolean> {
    try {
      await this.bounded(() => this.storage.save(session));
      return true;
    } catch (cause) {
      this.fail("save", cause);
      return false;
    }
  }

  async clear(): Promise<void> {
    try {
      await this.bounded(() => this.storage.clear());
    } catch (cause) {
      this.fail("clear", cause);
    }
  }

  /** The wait counts from the call being asked for, queue included. */
  private bounded<T>(call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    return Promise.race([this.queue.run(call), late]).finally(() => clearTimeout(timer));
  }

  private fail(what: string, cause: unknown): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.failure = new SessionStorageError(`cannot ${what} the session: ${reason}`, { cause });
  }
}
