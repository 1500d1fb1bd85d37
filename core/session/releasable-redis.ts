import KeyvRedis from "@keyv/redis";

/**
 * @keyv/redis connects again on any call after disconnect(), and a connect
 * still retrying when the client is closed resolves as if it had succeeded.
 * An operation that outlived its server (one waiting for that connect) thus
 * opened a new Redis connection that nobody closes: a leaked client, and a
 * process that never exits. Once released, this adapter connects no more.
 */
export class ReleasableKeyvRedis<T> extends KeyvRedis<T> {
  private released = false;

  override async getClient(): ReturnType<KeyvRedis<T>["getClient"]> {
    if (this.released) throw new Error("the session store was released with its server");
    const client = await super.getClient();
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
}
