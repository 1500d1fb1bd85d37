import "reflect-metadata";
import test, { type ExecutionContext } from "ava";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import { Command, ErrorCode, ErrorReply, FrameFlag, OkReply } from "../../core/protocol/index.js";
import { ECHO, withEcho } from "../helpers/echo-plugin.js";
import { RawClient } from "../helpers/raw-client.js";
import { startServer } from "../helpers/server.js";
import {
  fastConnectRequest,
  pinnedKey,
  rawFastConnect,
  rawHandshake,
  type SealedChannel,
  ticketOf,
} from "../helpers/session-peer.js";

type Establish = "HANDSHAKE_OK" | "FAST_CONNECT_OK";

/** A fresh server and a raw peer holding an established, sealed connection. */
async function established(t: ExecutionContext, via: Establish): Promise<SealedChannel> {
  const server = await startServer({}, withEcho);
  t.teardown(server.close);
  const key = pinnedKey(server.keyFile);
  const first = await RawClient.open(server.port);
  t.teardown(() => first.close());
  const handshake = await rawHandshake(first, key);
  if (via === "HANDSHAKE_OK") return handshake.channel;
  first.close();
  const second = await RawClient.open(server.port);
  t.teardown(() => second.close());
  return (await rawFastConnect(second, ticketOf(handshake.session))).channel;
}

async function echo(t: ExecutionContext, channel: SealedChannel, seq: number, text: string): Promise<void> {
  channel.write(ECHO, seq, Buffer.from(text));
  const reply = await channel.next();
  t.is(reply.cmd, Command.OK);
  t.is(reply.seq, seq);
  t.true(reply.sealed, "the reply carries flag 0x01");
  t.true(OkReply.decode(reply.body).data.endsWith(`|${text}`));
}

async function closedWithoutAnswer(t: ExecutionContext, channel: SealedChannel): Promise<void> {
  await channel.raw.waitClosed();
  t.true(channel.raw.closed);
  t.is(channel.raw.packets.length, 0, "nothing is answered to a frame that breaks the record layer");
}

for (const via of ["HANDSHAKE_OK", "FAST_CONNECT_OK"] as const) {
  test(`after ${via}: a sealed frame is answered sealed; 0xDF still works unsealed, both ways`, async (t) => {
    const channel = await established(t, via);
    await echo(t, channel, 2, "one");
    channel.raw.write([0xdf]);
    const beat = await channel.next();
    t.is(beat.cmd, Command.HEARTBEAT);
    t.false(beat.sealed);
    await echo(t, channel, 3, "two");
    // A framed heartbeat (cmd 1) must be sealed like any frame; it is answered with the bare byte.
    channel.write(Command.HEARTBEAT, 4);
    const framed = await channel.next();
    t.is(framed.cmd, Command.HEARTBEAT);
    t.false(framed.sealed);
    await echo(t, channel, 5, "three");
  });

  test(`after ${via}: a FAST_CONNECT on the established connection is REPEAT_HANDSHAKE and changes nothing`, async (t) => {
    const channel = await established(t, via);
    // Even with a valid proof for this very session: a connection holds one session, and its keys never change.
    channel.write(Command.FAST_CONNECT, 2, fastConnectRequest(ticketOf(channel.session)).body);
    const repeat = await channel.next();
    t.true(repeat.sealed);
    t.is(repeat.seq, 2);
    t.is(ErrorReply.decode(repeat.body).code, ErrorCode.REPEAT_HANDSHAKE);
    await echo(t, channel, 3, "same keys");
  });

  test(`after ${via}: every server reply is sealed, errors included`, async (t) => {
    const channel = await established(t, via);
    channel.write(99, 2);
    const unsupported = await channel.next();
    t.is(unsupported.cmd, Command.ERROR);
    t.is(unsupported.flags & FrameFlag.ENCRYPTED, FrameFlag.ENCRYPTED);
    t.is(ErrorReply.decode(unsupported.body).code, ErrorCode.UNSUPPORTED_CMD);
    channel.write(Command.HANDSHAKE, 3, Buffer.alloc(0));
    const repeat = await channel.next();
    t.true(repeat.sealed);
    t.is(ErrorReply.decode(repeat.body).code, ErrorCode.REPEAT_HANDSHAKE);
    await echo(t, channel, 4, "still fine");
  });

  test(`after ${via}: a plaintext frame closes the connection`, async (t) => {
    const channel = await established(t, via);
    channel.raw.write(encodeFrame(ECHO, 0, 2, Buffer.from("in clear")));
    await closedWithoutAnswer(t, channel);
  });

  test(`after ${via}: a plaintext frame that claims flag 0x01 closes the connection`, async (t) => {
    const channel = await established(t, via);
    channel.raw.write(encodeFrame(ECHO, FrameFlag.ENCRYPTED, 2, Buffer.alloc(32, 7)));
    await closedWithoutAnswer(t, channel);
  });

  for (const [what, at] of [
    ["a ciphertext byte", 13],
    ["a tag byte", -1],
    ["the header's seq", 11],
    ["the header's flags (COMPRESSED added)", 7],
  ] as const) {
    test(`after ${via}: a sealed frame with ${what} modified closes the connection`, async (t) => {
      const channel = await established(t, via);
      const frame = channel.seal(ECHO, 2, Buffer.from("forge me"));
      const index = at < 0 ? frame.length + at : at;
      frame[index] = (frame[index] as number) ^ (at === 7 ? FrameFlag.COMPRESSED : 0x01);
      channel.raw.write(frame);
      await closedWithoutAnswer(t, channel);
    });
  }

  test(`after ${via}: a frame sealed under another connection's keys closes the connection`, async (t) => {
    const channel = await established(t, via);
    const other = await established(t, via);
    channel.raw.write(other.seal(ECHO, 2, Buffer.from("wrong keys")));
    await closedWithoutAnswer(t, channel);
  });

  test(`after ${via}: a replayed sealed frame closes the connection`, async (t) => {
    const channel = await established(t, via);
    const frame = channel.write(ECHO, 2, Buffer.from("pay 10"));
    t.is((await channel.next()).cmd, Command.OK);
    channel.raw.write(frame);
    await closedWithoutAnswer(t, channel);
  });

  test(`after ${via}: a reordered pair closes the connection`, async (t) => {
    const channel = await established(t, via);
    const first = channel.seal(ECHO, 2, Buffer.from("first"));
    const second = channel.seal(ECHO, 3, Buffer.from("second"));
    channel.raw.write(second);
    channel.raw.write(first);
    await closedWithoutAnswer(t, channel);
  });

  test(`after ${via}: a dropped frame desynchronises the counter and closes the connection`, async (t) => {
    const channel = await established(t, via);
    channel.seal(ECHO, 2, Buffer.from("lost in transit"));
    channel.raw.write(channel.seal(ECHO, 3, Buffer.from("next")));
    await closedWithoutAnswer(t, channel);
  });
}

test("before any session, a frame flagged as sealed closes the connection", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  const raw = await RawClient.open(server.port);
  t.teardown(() => raw.close());
  raw.writeFrame(Command.HANDSHAKE, 1, Buffer.alloc(40), FrameFlag.ENCRYPTED);
  await raw.waitClosed();
  t.is(raw.packets.length, 0);
});
