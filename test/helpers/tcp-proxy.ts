import { connect, createServer, type Server, type Socket } from "node:net";
import { FrameDecoder } from "../../core/protocol/frame-decoder.js";
import { encodeFrame, heartbeatFrame } from "../../core/protocol/frame-encoder.js";
import { HEARTBEAT_PACKET, type Packet } from "../../core/protocol/packet.js";

export type Rewrite = (packet: Packet) => Buffer;

/**
 * A man in the middle on loopback: forwards frames both ways, records every
 * byte each way (a passive eavesdropper's capture), and may rewrite the
 * frames the server sends (an active attacker). One client connection at a time is enough for tests.
 */
export class FrameProxy {
  /** Client -> server and server -> client bytes, as they crossed the proxy. */
  readonly clientToServer: Buffer[] = [];
  readonly serverToClient: Buffer[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** `rewriteFromClient` rewrites the frames the client sends, as `rewriteFromServer` those of the server. */
  static async start(
    upstreamPort: number,
    rewriteFromServer?: Rewrite,
    rewriteFromClient?: Rewrite,
  ): Promise<FrameProxy> {
    let proxy: FrameProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, upstreamPort, rewriteFromServer, rewriteFromClient));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    proxy = new FrameProxy(server, typeof address === "object" && address ? address.port : 0);
    return proxy;
  }

  /** Everything captured in one direction, concatenated. */
  captured(direction: "clientToServer" | "serverToClient"): Buffer {
    return Buffer.concat(this[direction]);
  }

  /** Cuts every connection through the proxy (both sides), as a network drop does; the proxy keeps listening. */
  async closeConnections(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(
    client: Socket,
    upstreamPort: number,
    rewrite: Rewrite | undefined,
    rewriteFromClient: Rewrite | undefined,
  ): void {
    const upstream = connect({ host: "127.0.0.1", port: upstreamPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const fromServer = new FrameDecoder(16 * 1024 * 1024);
    const fromClient = new FrameDecoder(16 * 1024 * 1024);
    client.on("data", (chunk: Buffer) => {
      this.clientToServer.push(Buffer.from(chunk));
      if (!rewriteFromClient) {
        upstream.write(chunk);
        return;
      }
      fromClient.push(chunk, (packet) => {
        if (packet === HEARTBEAT_PACKET) upstream.write(heartbeatFrame());
        else upstream.write(rewriteFromClient({ ...packet, body: Buffer.from(packet.body) }));
      });
    });
    upstream.on("data", (chunk: Buffer) => {
      this.serverToClient.push(Buffer.from(chunk));
      if (!rewrite) {
        client.write(chunk);
        return;
      }
      fromServer.push(chunk, (packet) => {
        if (packet === HEARTBEAT_PACKET) client.write(heartbeatFrame());
        else client.write(rewrite({ ...packet, body: Buffer.from(packet.body) }));
      });
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", () => {});
    upstream.on("error", () => {});
  }
}

/** Re-encodes a packet unchanged. */
export function frameOf(packet: Packet): Buffer {
  return encodeFrame(packet.cmd, packet.flags, packet.seq, packet.body);
}
