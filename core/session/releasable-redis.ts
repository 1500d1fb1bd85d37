import KeyvRedis, { RedisErrorMessages } from "@keyv/redis";

const RELEASED = "the session store was released with its server";
const STILL = "Redis is still not connected: its client goes on connecting";

/**
 * @keyv/redis's getClient, with its behaviours around connecting changed:
 * - its connect deadline destroyed the client and the next call connected it
 *   again, while node-redis's retry loop of the destroyed connect went on: two
 *   loops on one client, and Redis coming back got a connection from each, one
 *   of them owned by nobody. Here a client is connected once; a connect past
 *   its deadline fails its callers but keeps retrying, as node-redis does after
 *   any later drop, and calls meanwhile fail fast (no offline queue, and no
 *   second wait for a connect already overdue);
 * - that deadline was a timer it never cleared, holding the process for
 *   `connectionTimeout` after every connect; here it is cleared and unref'd;
 * - it connected again on any call after disconnect(); once released, this
 *   adapter connects no more, and a connect that release() ended (node-redis
 *   then resolves it as if it had succeeded) fails its callers;
 * - it added the client's event listeners again after every connect.
 */
export class ReleasableKeyvRedis<T> extends KeyvRedis<T> {
  private released = false;
  /** The client's one connect while it is in flight; callers share it. */
  private connecting: Promise<void> | undefined;
  /** That connect has outlasted a caller's deadline: later callers fail at once rather than wait it again. */
  private overdue = false;

  override async getClient(): ReturnType<KeyvRedis<T>["getClient"]> {
    if (this.released) throw new Error(RELEASED);
    const client = this.client;
    // Open covers reconnecting after a drop too: node-redis retries by itself.
    if (client.isOpen && this.connecting === undefined) return client;
    if (this.overdue) throw new Error(RedisErrorMessages.RedisClientNotConnectedThrown, { cause: new Error(STILL) });
    this.connecting ??= this.connectOnce(client);
    try {
      await within(this.connecting, this.connectionTimeout);
    } catch (error) {
      if (this.connecting !== undefined) this.overdue = true;
      throw error;
    }
    return client;
  }

  /** Closes the client for good: later calls fail at once instead of reconnecting. */
  async release(): Promise<void> {
    this.released = true;
    await this.disconnect();
  }

  private connectOnce(client: { connect(): Promise<unknown> }): Promise<void> {
    const connected = client.connect().then(
      () => {
        this.settled();
        if (this.released) throw new Error(`${RELEASED} while connecting`);
      },
      (cause: unknown) => {
        // The retry loop has ended (a cluster's root nodes all failed): the next call may connect afresh.
        this.settled();
        throw new Error(RedisErrorMessages.RedisClientNotConnectedThrown, { cause });
      },
    );
    // Its callers may all have given up at their deadline.
    connected.catch(() => {});
    return connected;
  }

  private settled(): void {
    this.connecting = undefined;
    this.overdue = false;
  }
}

async function within(connecting: Promise<void>, timeoutMs: number | undefined): Promise<void> {
  if (timeoutMs === undefined) return connecting;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(RedisErrorMessages.RedisClientNotConnectedThrown, {
            cause: new Error(`Redis timed out after ${timeoutMs}ms`),
          }),
        ),
      timeoutMs,
    );
    // The connect's own socket and retries hold the process while they last; the deadline must not outlast them.
    timer.unref();
  });
  try {
    await Promise.race([connecting, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
