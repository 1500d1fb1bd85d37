import { createServer } from "node:net";
import { FrameDecoder } from "../core/protocol/frame-decoder.js";
import { encodeFrame } from "../core/protocol/frame-encoder.js";

/**
 * The raw-floor server: node:net and the project's frame codec, nothing else
 * (no DI, no dispatcher, no record layer, no store). Every frame is answered
 * by one frame with the same command, seq and body. What a connection costs
 * here is the floor under any real command. Env: MPUSH_HOST, MPUSH_PORT.
 */
const MAX_BODY_BYTES = 64 * 1024;
const host = process.env.MPUSH_HOST ?? "127.0.0.1";
const port = Number(process.env.MPUSH_PORT ?? 0);

const server = createServer({ noDelay: true }, (socket) => {
  const decoder = new FrameDecoder(MAX_BODY_BYTES);
  socket.on("data", (chunk: Buffer) => {
    try {
      decoder.push(chunk, (packet) => socket.write(encodeFrame(packet.cmd, packet.flags, packet.seq, packet.body)));
    } catch {
      socket.destroy();
    }
  });
  // A reset peer is not this server's problem; the socket closes either way.
  socket.on("error", () => {});
});

server.listen(port, host);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
process.on("SIGINT", () => server.close(() => process.exit(0)));
