import "reflect-metadata";
import { readFileSync } from "node:fs";
import test, { type ExecutionContext } from "ava";
import { MemorySessionStorage, MPushClient, VerificationError } from "../../../client/index.js";
import { IdentityKey } from "../../../core/crypto/identity-key.js";
import { PinnedServerKey } from "../../../core/crypto/pinned-server-key.js";
import { generateEphemeral } from "../../../core/crypto/x25519.js";
import { Command, encodeMessage, HandshakeOk, HandshakeServerHello } from "../../../core/protocol/index.js";
import { RawClient } from "../../helpers/raw-client.js";
import { clientOf } from "../../helpers/sdk-client.js";
import { startServer } from "../../helpers/server.js";
import { DEVICE, pinnedKey, rawHandshake } from "../../helpers/session-peer.js";
import { FrameProxy, frameOf } from "../../helpers/tcp-proxy.js";
import { eventually } from "../../helpers/wait.js";

const otherKey = () => PinnedServerKey.from(IdentityKey.generate().publicKeyPem());

test("MPushClient pinning another key gets VerificationError and stores no session", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const storage = new MemorySessionStorage();
  const client = new MPushClient({
    host: "127.0.0.1",
    port: server.port,
    serverKey: otherKey(),
    device: DEVICE,
    storage,
  });
  t.teardown(() => client.close());

  await t.throwsAsync(client.connect(), { instanceOf: VerificationError });
  t.false(client.isConnected);
  t.is(await storage.load(), undefined);
});

test("startHandshake with another pinned key throws VerificationError on the real reply", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  await t.throwsAsync(rawHandshake(raw, otherKey()), { instanceOf: VerificationError });
});

test("start() with a wrong pinned key never establishes; each VerificationError is reported and the retry waits the longest backoff", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const client = new MPushClient({
    host: "127.0.0.1",
    port: server.port,
    serverKey: otherKey(),
    device: DEVICE,
    // Ordinary failures would retry after 10 ms; a failed verification waits maxMs.
    backoff: { baseMs: 10, factor: 1, maxMs: 500, jitter: 0 },
  });
  t.teardown(() => client.close());
  const errors: { error: Error; at: number }[] = [];
  let established = 0;
  client.on("error", (error: Error) => errors.push({ error, at: performance.now() }));
  client.on("established", () => established++);
  client.start();
  // Timed from the first failure, not from start(): how long an attempt takes is the machine's business.
  await eventually(() => (errors.length >= 2 ? true : undefined), 10_000, 10);
  const gap = (errors[1]?.at ?? 0) - (errors[0]?.at ?? 0);
  // A timer may start from the loop's cached time, a little before the error was seen: 100 ms of slack.
  t.true(
    gap >= 400,
    `retried ${Math.round(gap)} ms after the first failure: no quick retry after a forged or foreign reply`,
  );
  t.true(errors.every(({ error }) => error instanceof VerificationError));
  t.is(established, 0);
  t.false(client.isConnected);
});

test("a server holding another key cannot complete a handshake with a client pinning the right key", async (t) => {
  const genuine = await startServer();
  t.teardown(genuine.close);
  const impostor = await startServer(); // its own, different identity key
  t.teardown(impostor.close);
  const rightKey = pinnedKey(genuine.keyFile);
  t.not(rightKey.fingerprint, pinnedKey(impostor.keyFile).fingerprint);

  const storage = new MemorySessionStorage();
  const toImpostor = new MPushClient({
    host: "127.0.0.1",
    port: impostor.port,
    serverKey: rightKey,
    device: DEVICE,
    storage,
  });
  t.teardown(() => toImpostor.close());
  await t.throwsAsync(toImpostor.connect(), { instanceOf: VerificationError });
  t.is(await storage.load(), undefined);

  // Control: the same pinned key does establish with the genuine server.
  const toGenuine = new MPushClient({
    host: "127.0.0.1",
    port: genuine.port,
    serverKey: rightKey,
    device: DEVICE,
    storage,
  });
  t.teardown(() => toGenuine.close());
  t.is((await toGenuine.connect()).outcome, "handshake");
  t.true(toGenuine.isConnected);
});

test("an active man in the middle who swaps in its own X25519 share is caught by the signature", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const attacker = generateEphemeral();
  const proxy = await FrameProxy.start(server.port, (packet) => {
    if (packet.cmd !== Command.HANDSHAKE) return frameOf(packet);
    const ok = HandshakeOk.decode(packet.body);
    const hello = HandshakeServerHello.decode(ok.serverHello);
    const forged = encodeMessage(HandshakeServerHello, { ...hello, serverShare: attacker.publicKey });
    return frameOf({ ...packet, body: encodeMessage(HandshakeOk, { serverHello: forged, signature: ok.signature }) });
  });
  t.teardown(() => proxy.close());
  await refusedThrough(t, proxy, server.keyFile);
});

test("with several keys pinned, a reply signed by any of them verifies and names its signer; none of them fails", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const real = pinnedKey(server.keyFile);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  const { session } = await rawHandshake(raw, [otherKey(), real]);
  t.is(session.serverFingerprint, real.fingerprint);
  const again = await RawClient.open(server.port);
  t.teardown(() => again.close());
  await t.throwsAsync(rawHandshake(again, [otherKey(), otherKey()]), {
    instanceOf: VerificationError,
    message: "HANDSHAKE reply is not signed by the pinned server key (any of them)",
  });
});

test("MPushClient pinning the old and new key stores the signer's fingerprint and resumes while it stays pinned", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const real = pinnedKey(server.keyFile);
  const storage = new MemorySessionStorage();
  const connect = async (serverKey: ConstructorParameters<typeof MPushClient>[0]["serverKey"]) => {
    const client = new MPushClient({ host: "127.0.0.1", port: server.port, serverKey, device: DEVICE, storage });
    try {
      return await client.connect();
    } finally {
      await client.close();
    }
  };
  const other = IdentityKey.generate().publicKeyPem();
  t.is((await connect([other, real])).outcome, "handshake");
  t.is((await storage.load())?.serverFingerprint, real.fingerprint);
  // PEM text holding both keys, as concatenated .pub files.
  t.is((await connect(other + readFileSync(`${server.keyFile}.pub`, "utf8"))).outcome, "fast_connect");
  t.is((await storage.load())?.serverFingerprint, real.fingerprint);
  // The session's key is no longer pinned: it is not offered (a resume would have succeeded), so a handshake fails.
  await t.throwsAsync(connect(other), { instanceOf: VerificationError });
});

test("a man in the middle who moves bytes from the end of the request to the start of server_hello is caught by the signature", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  // A later device_id (field 1) wins in the request; in server_hello, field 1 (server_nonce) is overridden by the real one.
  const spliced = Buffer.concat([Buffer.from([0x0a, 15]), Buffer.from("attacker-chosen")]);
  const proxy = await FrameProxy.start(
    server.port,
    (packet) => {
      if (packet.cmd !== Command.HANDSHAKE) return frameOf(packet);
      const ok = HandshakeOk.decode(packet.body);
      const body = encodeMessage(HandshakeOk, { ...ok, serverHello: Buffer.concat([spliced, ok.serverHello]) });
      return frameOf({ ...packet, body });
    },
    (packet) =>
      packet.cmd === Command.HANDSHAKE
        ? frameOf({ ...packet, body: Buffer.concat([packet.body, spliced]) })
        : frameOf(packet),
  );
  t.teardown(() => proxy.close());
  await refusedThrough(t, proxy, server.keyFile);
});

/** A client connecting through `proxy` refuses the reply as not from the pinned server, and stores nothing. */
async function refusedThrough(t: ExecutionContext, proxy: FrameProxy, keyFile: string): Promise<void> {
  const storage = new MemorySessionStorage();
  const client = clientOf({ port: proxy.port, keyFile }, { storage });
  t.teardown(() => client.close());
  await t.throwsAsync(client.connect(), { instanceOf: VerificationError });
  t.is(await storage.load(), undefined);
}
