import "reflect-metadata";
import { createHash, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import test from "ava";
import { IdentityKey } from "../../../core/crypto/identity-key.js";
import {
  directionKeys,
  type EstablishedSecrets,
  handshakeSecrets,
  ResumeSchedule,
  transcriptHash,
} from "../../../core/crypto/key-schedule.js";
import { RecordCipher } from "../../../core/crypto/record-cipher.js";
import { ephemeralFromPrivate, generateEphemeral, x25519 } from "../../../core/crypto/x25519.js";
import {
  Command,
  HandshakeOk,
  HandshakeRequest,
  HandshakeServerHello,
  OkReply,
  type Packet,
} from "../../../core/protocol/index.js";
import { ECHO, withEcho } from "../../helpers/echo-plugin.js";
import { RawClient } from "../../helpers/raw-client.js";
import { startServer } from "../../helpers/server.js";
import { framesOf, pinnedKey, rawHandshake } from "../../helpers/session-peer.js";
import { FrameProxy } from "../../helpers/tcp-proxy.js";

const SECRET_TEXT = "meet me at the usual place";

/** True when `secrets` open the first sealed frame of both directions. */
function opens(secrets: EstablishedSecrets, clientFrame: Packet, serverFrame: Packet): boolean {
  try {
    new RecordCipher(secrets.traffic.clientToServer).open(clientFrame);
    new RecordCipher(secrets.traffic.serverToClient).open(serverFrame);
    return true;
  } catch {
    return false;
  }
}

function opensEither(secrets: EstablishedSecrets, clientFrame: Packet, serverFrame: Packet): boolean {
  const tryOpen = (keys: EstablishedSecrets["traffic"]["clientToServer"], frame: Packet) => {
    try {
      new RecordCipher(keys).open(frame);
      return true;
    } catch {
      return false;
    }
  };
  const { clientToServer, serverToClient } = secrets.traffic;
  return (
    tryOpen(clientToServer, clientFrame) ||
    tryOpen(serverToClient, serverFrame) ||
    tryOpen(serverToClient, clientFrame) ||
    tryOpen(clientToServer, serverFrame)
  );
}

test("a recorded handshake cannot be opened with the server's long-term key and the transcript", async (t) => {
  const server = await startServer({}, withEcho);
  t.teardown(server.close);
  const proxy = await FrameProxy.start(server.port);
  t.teardown(() => proxy.close());

  // The victim: a client whose ephemeral key this test keeps, only for the positive control.
  const victimEphemeral = generateEphemeral();
  const raw = await RawClient.open(proxy.port);
  t.teardown(() => raw.close());
  const { channel } = await rawHandshake(raw, pinnedKey(server.keyFile), { ephemeral: victimEphemeral });
  channel.write(ECHO, 2, Buffer.from(SECRET_TEXT));
  const answer = await channel.next();
  t.true(answer.sealed);
  t.true(OkReply.decode(answer.body).data.endsWith(SECRET_TEXT));

  // The eavesdropper's capture: every byte both ways.
  const up = framesOf(proxy.captured("clientToServer"));
  const down = framesOf(proxy.captured("serverToClient"));
  t.deepEqual(
    up.map((p) => p.cmd),
    [Command.HANDSHAKE, ECHO],
  );
  t.deepEqual(
    down.map((p) => p.cmd),
    [Command.HANDSHAKE, Command.OK],
  );
  const [request, sealedUp] = up as [Packet, Packet];
  const [handshakeOk, sealedDown] = down as [Packet, Packet];
  for (const bytes of [proxy.captured("clientToServer"), proxy.captured("serverToClient")]) {
    t.false(bytes.includes(Buffer.from(SECRET_TEXT)), "the message never crosses the wire in clear");
  }

  // What the attacker has: the identity key (stolen later) and the transcript.
  const pem = readFileSync(server.keyFile, "utf8");
  const identity = IdentityKey.fromPem(pem);
  const seed = Buffer.from(createPrivateKey(pem).export({ format: "jwk" }).d as string, "base64url");
  const ok = HandshakeOk.decode(handshakeOk.body);
  const serverHello = HandshakeServerHello.decode(ok.serverHello);
  const clientShare = HandshakeRequest.decode(request.body).clientShare;
  const th = transcriptHash(request.body, ok.serverHello);
  // The Ed25519 seed turned into an X25519 scalar (RFC 8032 / RFC 7748), the usual way to "reuse" a signing key.
  const identityAsX25519 = ephemeralFromPrivate(createHash("sha512").update(seed).digest().subarray(0, 32));
  const candidates: [string, Buffer][] = [
    ["identity seed", seed],
    ["identity public key", identity.publicKeyRaw],
    ["record key", identity.recordKey],
    ["index key", identity.indexKey],
    ["signature", ok.signature],
    ["transcript hash", th],
    ["client share", clientShare],
    ["server share", serverHello.serverShare],
    ["X25519(identity, client share)", x25519(identityAsX25519.privateKey, clientShare)],
    ["X25519(identity, server share)", x25519(identityAsX25519.privateKey, serverHello.serverShare)],
  ];
  for (const [name, material] of candidates) {
    const attempts: EstablishedSecrets[] = [
      handshakeSecrets(material, th),
      new ResumeSchedule(material).established(th),
      {
        traffic: { clientToServer: directionKeys(material), serverToClient: directionKeys(material) },
        sessionSecret: material,
      },
    ];
    for (const secrets of attempts) t.false(opensEither(secrets, sealedUp, sealedDown), `${name} opens the traffic`);
  }

  // Positive control: with the victim's ephemeral private key the very same frames open.
  const shared = x25519(victimEphemeral.privateKey, serverHello.serverShare);
  const real = handshakeSecrets(shared, th);
  t.true(opens(real, sealedUp, sealedDown));
  t.is(new RecordCipher(real.traffic.clientToServer).open(sealedUp).toString(), SECRET_TEXT);
});

test("two handshakes of the same device get fresh server shares and unrelated keys", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const key = pinnedKey(server.keyFile);
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const raw = await RawClient.open(server.port);
    t.teardown(() => raw.close());
    runs.push(await rawHandshake(raw, key));
  }
  const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
  const shareOf = (r: typeof a) =>
    HandshakeServerHello.decode(HandshakeOk.decode(r.reply.body).serverHello).serverShare;
  t.notDeepEqual(shareOf(a), shareOf(b));
  const material = (r: typeof a) => [
    r.session.secrets.sessionSecret,
    r.session.secrets.traffic.clientToServer.key,
    r.session.secrets.traffic.clientToServer.iv,
    r.session.secrets.traffic.serverToClient.key,
    r.session.secrets.traffic.serverToClient.iv,
  ];
  const all = [...material(a), ...material(b)].map((m) => m.toString("hex"));
  t.is(new Set(all).size, all.length);
});

test("the key schedule: same transcript, different X25519 result, different secrets", (t) => {
  const th = transcriptHash(Buffer.from("request"), Buffer.from("server hello"));
  const a = generateEphemeral();
  const b = generateEphemeral();
  const c = generateEphemeral();
  const one = handshakeSecrets(x25519(a.privateKey, b.publicKey), th);
  const two = handshakeSecrets(x25519(a.privateKey, c.publicKey), th);
  t.notDeepEqual(one.sessionSecret, two.sessionSecret);
  t.notDeepEqual(one.traffic.clientToServer.key, two.traffic.clientToServer.key);
  t.notDeepEqual(one.traffic.serverToClient.key, two.traffic.serverToClient.key);
  // Both ends of one exchange agree.
  const other = handshakeSecrets(x25519(b.privateKey, a.publicKey), th);
  t.deepEqual(other.sessionSecret, one.sessionSecret);
  for (const direction of ["clientToServer", "serverToClient"] as const) {
    t.deepEqual(other.traffic[direction].key, one.traffic[direction].key);
    t.deepEqual(other.traffic[direction].iv, one.traffic[direction].iv);
  }
});
