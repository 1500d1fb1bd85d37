import "reflect-metadata";
import test from "ava";
import { ServerError } from "../../client/errors.js";
import { ErrorCode } from "../../core/index.js";
import { startServer } from "../helpers/server.js";
import { handshakeOn, resumeOn, ticketOf } from "../helpers/session-peer.js";

/** Server time that moves only when the test says: the bucket must not refill while a slow machine runs the test. */
class StoppedClock {
  private at = Date.now();

  now(): number {
    return this.at;
  }

  steady(): number {
    return this.at;
  }

  advance(ms: number): void {
    this.at += ms;
  }
}

async function refusal(attempt: Promise<unknown>): Promise<number | undefined> {
  try {
    await attempt;
    return undefined;
  } catch (error) {
    if (error instanceof ServerError) return error.code;
    throw error;
  }
}

test("past handshakesPerSecond HANDSHAKE gets OVERLOADED, resumes go on, and the rate refills with time", async (t) => {
  const clock = new StoppedClock();
  const server = await startServer({ handshakesPerSecond: 2 }, [], { clock });
  t.teardown(server.close);

  const invalid = { device: { deviceId: "", osName: "x", osVersion: "1", clientVersion: "1" } };
  t.is(await refusal(handshakeOn(server, invalid)), ErrorCode.INVALID_ARGUMENT, "spends none of the rate");
  const first = await handshakeOn(server);
  await handshakeOn(server, { device: { deviceId: "device-2", osName: "x", osVersion: "1", clientVersion: "1" } });
  t.is(await refusal(handshakeOn(server)), ErrorCode.OVERLOADED);

  const resumed = await resumeOn(server, ticketOf(first));
  t.is(resumed.code, undefined, "FAST_CONNECT is not limited");

  clock.advance(500);
  t.is(await refusal(handshakeOn(server)), undefined, "half a second refills one handshake");
  t.is(await refusal(handshakeOn(server)), ErrorCode.OVERLOADED);
  clock.advance(60_000);
  t.is(await refusal(handshakeOn(server)), undefined);
  t.is(await refusal(handshakeOn(server)), undefined);
  t.is(await refusal(handshakeOn(server)), ErrorCode.OVERLOADED, "a long idle refills no more than the burst");
});

test("handshakesPerSecond 0 (the default) does not limit", async (t) => {
  const server = await startServer();
  t.teardown(server.close);
  t.is(server.config.handshakesPerSecond, 0);
  for (let i = 0; i < 5; i++) t.is(await refusal(handshakeOn(server)), undefined);
});
