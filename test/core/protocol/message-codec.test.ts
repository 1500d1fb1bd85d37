import test from "ava";
import { encodeMessage, FastConnectOk, FastConnectServerHello } from "../../../core/protocol/index.js";

const hello = (sessionId: string) => ({
  serverNonce: Buffer.alloc(32, 7),
  sessionId,
  expiresAtMs: 1_800_000_000_000,
  heartbeatMs: 180_000,
  serverTimeMs: 1_700_000_000_000,
});

test("messages encoded one after another through the shared writer each decode to themselves", (t) => {
  const first = encodeMessage(FastConnectServerHello, hello("a".repeat(24)));
  const second = encodeMessage(FastConnectServerHello, hello("b"));
  const third = encodeMessage(FastConnectOk, { serverHello: first, finished: Buffer.alloc(32, 1) });
  t.deepEqual(FastConnectServerHello.decode(first), hello("a".repeat(24)));
  t.deepEqual(FastConnectServerHello.decode(second), hello("b"));
  t.true(second.length < first.length, "no bytes of a longer earlier message are left over");
  const ok = FastConnectOk.decode(third);
  t.deepEqual(Buffer.from(ok.serverHello), first);
  t.not(first.buffer, second.buffer, "each result owns its bytes");
});

test("after a message larger than the kept buffer, and after an encode that throws, the next encode is whole", (t) => {
  const big = encodeMessage(FastConnectOk, { serverHello: Buffer.alloc(100_000, 2), finished: Buffer.alloc(32, 3) });
  t.is(FastConnectOk.decode(big).serverHello.length, 100_000);
  t.throws(() => encodeMessage(FastConnectServerHello, { ...hello("x"), heartbeatMs: -1 }));
  t.deepEqual(FastConnectServerHello.decode(encodeMessage(FastConnectServerHello, hello("y"))), hello("y"));
});
