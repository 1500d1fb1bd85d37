import { createServer, type Server } from "node:net";
import test from "ava";
import { ClientConnection, MPushClient } from "../../client/index.js";
import { IdentityKey } from "../../core/crypto/identity-key.js";
import { FrameDecoder } from "../../core/protocol/frame-decoder.js";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import { Command } from "../../core/protocol/index.js";
import { clientOf } from "../helpers/sdk-client.js";
import { startServer } from "../helpers/server.js";
import { DEVICE } from "../helpers/session-peer.js";
import { FrameProxy, frameOf } from "../helpers/tcp-proxy.js";

/** Not an ErrorReply: a field tag with no value. */
const GARBAGE = Buffer.from([0xff, 0xff, 0xff]);

/** A peer that answers every request with an ERROR frame whose body does not decode, as a forger on the path could. */
async function malformedErrors(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    const decoder = new FrameDecoder(64 * 1024);
    socket.on("data", (chunk: Buffer) =>
      decoder.push(chunk, (packet) => socket.write(encodeFrame(Command.ERROR, 0, packet.seq, GARBAGE))),
    );
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

test("an ERROR reply whose body does not decode rejects its request at once instead of leaving it pending", async (t) => {
  const { server, port } = await malformedErrors();
  t.teardown(() => server.close());
  const connection = await ClientConnection.open("127.0.0.1", port);
  t.teardown(() => connection.close());
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  const error = await t.throwsAsync(connection.request(Command.HANDSHAKE, Buffer.from("x"), { timeoutMs: 60_000 }), {
    message: "malformed ERROR reply to command 2",
  });
  t.truthy(error?.cause);
  t.is(timers(), before);
});

test("MPushClient.connect() against such a peer fails instead of hanging", async (t) => {
  const { server, port } = await malformedErrors();
  t.teardown(() => server.close());
  const client = new MPushClient({
    host: "127.0.0.1",
    port,
    serverKey: IdentityKey.generate().publicKeyRaw,
    device: DEVICE,
    requestTimeoutMs: 60_000,
  });
  t.teardown(() => client.close());
  await t.throwsAsync(client.connect(), { message: "malformed ERROR reply to command 2" });
  t.false(client.isConnected);
});

test("a clear frame forged in front of the HANDSHAKE reply is refused, never delivered as a push", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  let injected = false;
  const proxy = await FrameProxy.start(server.port, (packet) => {
    const genuine = frameOf(packet);
    if (injected) return genuine;
    injected = true;
    return Buffer.concat([encodeFrame(15, 0, 0x8000_0001, Buffer.from("FORGED: transfer $1000")), genuine]);
  });
  t.teardown(() => proxy.close());
  const client = clientOf({ port: proxy.port, keyFile: server.keyFile });
  t.teardown(() => client.close());
  const pushes: unknown[] = [];
  client.on("packet", (packet) => pushes.push(packet));
  await t.throwsAsync(client.connect(), { message: /unexpected frame before the session was established/ });
  t.deepEqual(pushes, []);
  t.false(client.isConnected);
});
