import "reflect-metadata";
import test from "ava";
import { ResumeSchedule, transcriptHash } from "../../../core/crypto/key-schedule.js";
import { RecordCipher } from "../../../core/crypto/record-cipher.js";
import { OkReply } from "../../../core/protocol/index.js";
import { ECHO, withEcho } from "../../helpers/echo-plugin.js";
import { rawOpener } from "../../helpers/raw-client.js";
import { startServer } from "../../helpers/server.js";
import { pinnedKey, rawFastConnect, rawHandshake, ticketOf } from "../../helpers/session-peer.js";

test("a handshake and two resumes of its chain use six distinct (key, iv) pairs, one per connection and direction", async (t) => {
  const server = await startServer({}, withEcho);
  t.teardown(server.close);
  const open = rawOpener(t, server.port);
  const handshake = await rawHandshake(await open(), pinnedKey(server.keyFile));
  const first = await rawFastConnect(await open(), ticketOf(handshake.session));
  const second = await rawFastConnect(await open(), ticketOf(first.session));

  const directions = [handshake, first, second].flatMap(({ session }) => [
    session.secrets.traffic.clientToServer,
    session.secrets.traffic.serverToClient,
  ]);
  t.is(new Set(directions.map((d) => d.key.toString("hex"))).size, 6);
  t.is(new Set(directions.map((d) => d.iv.toString("hex"))).size, 6);
  const secrets = [handshake, first, second].map(({ session }) => session.secrets.sessionSecret.toString("hex"));
  t.is(new Set(secrets).size, 3);

  // The first record of every direction (counter 0 everywhere) still differs: the same plaintext never
  // meets the same (key, nonce) twice.
  const firstRecords = directions.map((keys) =>
    new RecordCipher(keys).seal(ECHO, 0, 1, Buffer.from("same")).toString("hex"),
  );
  t.is(new Set(firstRecords).size, 6);

  // Both resumed connections are live at once and each is served under its own keys.
  for (const [i, { channel }] of [first, second].entries()) {
    channel.write(ECHO, 2, Buffer.from(`conn ${i}`));
    const reply = await channel.next();
    t.true(reply.sealed);
    t.true(OkReply.decode(reply.body).data.endsWith(`|conn ${i}`));
  }
});

test("within one direction the nonce advances: one plaintext sealed twice gives two ciphertexts", (t) => {
  const keys = { key: Buffer.alloc(16, 1), iv: Buffer.alloc(12, 2) };
  const cipher = new RecordCipher(keys);
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) seen.add(cipher.seal(ECHO, 0, 1, Buffer.from("same")).toString("hex"));
  t.is(seen.size, 1000);
});

test("one session secret resumed with different hellos derives different traffic keys", (t) => {
  const schedule = new ResumeSchedule(Buffer.alloc(32, 9));
  const a = schedule.established(transcriptHash(Buffer.from("hello A"), Buffer.from("server hello")));
  const b = schedule.established(transcriptHash(Buffer.from("hello B"), Buffer.from("server hello")));
  const c = schedule.established(transcriptHash(Buffer.from("hello A"), Buffer.from("other server hello")));
  const keys = [a, b, c].flatMap((s) => [s.traffic.clientToServer.key, s.traffic.serverToClient.key]);
  t.is(new Set(keys.map((k) => k.toString("hex"))).size, 6);
});
