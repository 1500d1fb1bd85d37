import { BinaryWriter } from "@bufbuild/protobuf/wire";
import test from "ava";
import { encodeMessage, FastConnectOk, FastConnectServerHello } from "../../../core/protocol/index.js";
import { takeBytes } from "../../../core/protocol/message-codec.js";

const hello = (sessionId: string) => ({
  serverNonce: Buffer.alloc(32, 7),
  sessionId,
  expiresAtMs: 1_800_000_000_000,
  heartbeatMs: 180_000,
  serverTimeMs: 1_700_000_000_000,
});

test("messages encoded one after another through the shared writer each decode to themselves", (t) => {
  const first = encodeMessage(FastConnectServerHello, hello("a".repeat(24)));
  const firstBytes = Buffer.from(first);
  const second = encodeMessage(FastConnectServerHello, hello("b"));
  const third = encodeMessage(FastConnectOk, { serverHello: first, finished: Buffer.alloc(32, 1) });
  t.deepEqual(FastConnectServerHello.decode(first), hello("a".repeat(24)));
  t.deepEqual(FastConnectServerHello.decode(second), hello("b"));
  t.true(second.length < first.length, "no bytes of a longer earlier message are left over");
  const ok = FastConnectOk.decode(third);
  t.deepEqual(Buffer.from(ok.serverHello), first);
  t.deepEqual(first, firstBytes, "later encodes do not write over an earlier result");
});

test("after a message larger than the kept buffer, and after an encode that throws, the next encode is whole", (t) => {
  const big = encodeMessage(FastConnectOk, { serverHello: Buffer.alloc(100_000, 2), finished: Buffer.alloc(32, 3) });
  t.is(FastConnectOk.decode(big).serverHello.length, 100_000);
  t.throws(() => encodeMessage(FastConnectServerHello, { ...hello("x"), heartbeatMs: -1 }));
  t.deepEqual(FastConnectServerHello.decode(encodeMessage(FastConnectServerHello, hello("y"))), hello("y"));
});

test("takeBytes copies what finish() would return into Node's pool and resets the writer", (t) => {
  const message = hello("c".repeat(40));
  const expected = FastConnectServerHello.encode(message, new BinaryWriter()).finish();
  t.true(expected.length > 64, "past the size V8 keeps on its heap");
  const writer = FastConnectServerHello.encode(message, new BinaryWriter());
  const taken = takeBytes(writer);
  t.deepEqual(new Uint8Array(taken), expected);
  t.is(taken.buffer.byteLength, Buffer.poolSize, "a slice of the pool, not an ArrayBuffer of its own");
  t.is(writer.finish().length, 0, "the writer starts over");
  const next = takeBytes(FastConnectServerHello.encode(hello("d"), writer));
  t.deepEqual(FastConnectServerHello.decode(next), hello("d"));
});

test("takeBytes falls back to finish() for a writer that keeps its bytes elsewhere", (t) => {
  const finished = Uint8Array.of(8, 1, 16, 2);
  const writer = { finish: () => finished } as unknown as BinaryWriter;
  t.deepEqual(new Uint8Array(takeBytes(writer)), finished);
});
