import type { Connection } from "./connection.js";

/** The live connections of one server, by id. */
export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();

  get size(): number {
    return this.byId.size;
  }

  add(connection: Connection): void {
    this.byId.set(connection.id, connection);
  }

  remove(connection: Connection): void {
    if (this.byId.get(connection.id) === connection) this.byId.delete(connection.id);
  }

  get(id: string): Connection | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<Connection> {
    return this.byId.values();
  }
}
