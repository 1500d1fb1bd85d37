import "reflect-metadata";
import test from "ava";
import { DEFAULT_CONFIG, ErrorCode, ProtocolError, type ServerConfig } from "../../../core/index.js";
import { HeartbeatNegotiator } from "../../../plugins/heartbeat/heartbeat-negotiator.js";

const SERVER_MIN = 30_000;
const SERVER_MAX = 180_000;
const config: ServerConfig = {
  ...DEFAULT_CONFIG,
  heartbeat: { ...DEFAULT_CONFIG.heartbeat, minMs: SERVER_MIN, maxMs: SERVER_MAX },
};
const negotiator = new HeartbeatNegotiator(config);

// [case, client min, client max, expected]; the server accepts 30 s - 180 s.
const table: [string, number, number, number][] = [
  ["overlap inside: the client's max", 40_000, 120_000, 120_000],
  ["overlap, client max above the server's: the server's max", 60_000, 240_000, SERVER_MAX],
  ["overlap, client min below the server's: the client's max", 10_000, 60_000, 60_000],
  ["client range covers the server's: the server's max", 1_000, 600_000, SERVER_MAX],
  ["client range is one point inside", 90_000, 90_000, 90_000],
  ["touching at the server's min", 10_000, SERVER_MIN, SERVER_MIN],
  ["touching at the server's max", SERVER_MAX, 600_000, SERVER_MAX],
  ["client entirely below: the server's min", 1_000, 20_000, SERVER_MIN],
  ["client entirely above: the server's max", 200_000, 600_000, SERVER_MAX],
  ["no bounds at all (0, 0): the server's max", 0, 0, SERVER_MAX],
  ["no max (0): the server's max", 60_000, 0, SERVER_MAX],
  ["no min (0), max inside: the client's max", 0, 100_000, 100_000],
  ["no max, min above the server's: the server's max", 400_000, 0, SERVER_MAX],
  ["MPush's Java client (4 min, no min): clamped to 3 min", 0, 240_000, SERVER_MAX],
];

for (const [name, minMs, maxMs, expected] of table) {
  test(`negotiate: ${name}`, (t) => {
    t.is(negotiator.negotiate({ minMs, maxMs }), expected);
  });
}

test("client min above client max is INVALID_ARGUMENT", (t) => {
  const error = t.throws(() => negotiator.negotiate({ minMs: 120_000, maxMs: 60_000 }), {
    instanceOf: ProtocolError,
  });
  t.is(error?.code, ErrorCode.INVALID_ARGUMENT);
  t.false(error?.close);
});

test("MPush's formula when the server range is one point: always that point", (t) => {
  const fixed = new HeartbeatNegotiator({
    ...config,
    heartbeat: { ...config.heartbeat, minMs: SERVER_MAX, maxMs: SERVER_MAX },
  });
  for (const [minMs, maxMs] of [
    [0, 0],
    [1_000, 2_000],
    [0, 240_000],
    [500_000, 600_000],
  ] as const) {
    t.is(fixed.negotiate({ minMs, maxMs }), SERVER_MAX);
  }
});
