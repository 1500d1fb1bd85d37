import type { Connection } from "./connection.js";

/**
 * The live connections of one server, by id.
 *
 * A dictionary object, not a Map: with a Map that many short-lived entries
 * pass through, most connections survived the young-generation GC and were
 * promoted, about 16 KiB each in the FAST_CONNECT bench, freed only by full
 * GCs. The likely reason: such a Map is rehashed again and again, V8 links
 * each table it discards to its successor, and once one of those is in the
 * old generation the later tables, with their entries, are kept from it.
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
