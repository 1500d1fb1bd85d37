import KeyvRedis, { RedisErrorMessages } from "@keyv/redis";

/**
 * @keyv/redis's getClient, with three of its behaviours changed:
 * - it connects again on any call after disconnect(); once released, this
 *   adapter connects no more;
 * - a connect still retrying when the client is closed resolves as if it had
 *   succeeded; here that call fails. Otherwise an operation that outlived its
 *   server opened a Redis connection nobody closes, and the process never exited;
 * - its connect deadline is a timer it never clears, so every connect held the
 *   process for `connectionTimeout` more, a closed server's too; here the timer
 *   is cleared when the connect ends and holds no process meanwhile.
 * It also adds no listeners per reconnect: the constructor's stay the only ones.
 */
export class ReleasableKeyvRedis<T> extends KeyvRedis<T> {
  private released = false;

  override async getClient(): ReturnType<KeyvRedis<T>["getClient"]> {
    if (this.released) throw new Error("the session store was released with its server");
    const client = this.client;
    if (client.isOpen) return client;
    try {
      await this.connectWithin(client, this.connectionTimeout);
    } catch (cause) {
      this.emit("error", cause);
      await this.disconnect(true);
      throw new Error(RedisErrorMessages.RedisClientNotConnectedThrown, { cause });
    }
    if (this.released) {
      // The connect this call waited for ended because release() closed it.
      await this.disconnect(true);
      throw new Error("the session store was released with its server while connecting");
    }
    return client;
  }

  /** Closes the client for good: later calls fail at once instead of reconnecting. */
  async release(): Promise<void> {
    this.released = true;
    await this.disconnect();
  }

  private async connectWithin(client: { connect(): Promise<unknown> }, timeoutMs: number | undefined): Promise<void> {
    if (timeoutMs === undefined) {
      await client.connect();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis timed out after ${timeoutMs}ms`)), timeoutMs);
      // The connect's socket holds the process while it lasts; the deadline must not outlast it.
      timer.unref();
    });
    try {
      await Promise.race([client.connect(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
