import type { Connection } from "./connection.js";

/**
 * The live connections of one server, by id.
 *
 * A dictionary object, not a Map: a Map that many short-lived entries pass
 * through is rehashed again and again, and V8 links each discarded table to
 * its successor. Once one discarded table reaches the old generation, every
 * later table, with the connections in it, survives the young-generation GC
 * and is promoted: in the FAST_CONNECT bench that was most connections, about
 * 16 KiB each, freed only by full GCs.
 */
export class ConnectionRegistry {
  private readonly byId: Record<string, Connection> = Object.create(null);
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(connection: Connection): void {
    if (this.byId[connection.id] === undefined) this.count++;
    this.byId[connection.id] = connection;
  }

  remove(connection: Connection): void {
    if (this.byId[connection.id] !== connection) return;
    delete this.byId[connection.id];
    this.count--;
  }

  get(id: string): Connection | undefined {
    return this.byId[id];
  }

  values(): IterableIterator<Connection> {
    return Object.values(this.byId).values();
  }
}
