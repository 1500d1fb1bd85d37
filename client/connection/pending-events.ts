import type { Packet } from "../../core/protocol/index.js";
import type { ClientConnection } from "./client-connection.js";

/**
 * What a connection does between its reply and the client taking it on, while
 * the session is being saved: a push sent the moment the session exists (a
 * plugin delivering offline messages) is kept for the application, and a
 * close is remembered, so that neither falls between two listeners.
 */
export class PendingEvents {
  readonly packets: Packet[] = [];
  closeReason: string | undefined;
  private readonly onPacket = (packet: Packet) => {
    this.packets.push(packet);
  };
  private readonly onClose = (reason: string) => {
    this.closeReason = reason;
  };

  constructor(private readonly connection: ClientConnection) {
    connection.on("packet", this.onPacket);
    connection.on("close", this.onClose);
  }

  stop(): void {
    this.connection.off("packet", this.onPacket);
    this.connection.off("close", this.onClose);
  }
}
