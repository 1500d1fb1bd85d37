import test from "ava";
import { pino } from "pino";
import { throttledWarn } from "../../../core/log/throttled-log.js";

test("throttledWarn logs at most once per interval and folds the rest into a count", (t) => {
  const lines: { suppressed: number; n: number }[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  let now = 0;
  const warn = throttledWarn(log, 1000, () => now);
  for (let n = 0; n < 5; n++) warn({ n }, "store down");
  now = 999;
  warn({ n: 5 }, "store down");
  now = 1000;
  warn({ n: 6 }, "store down");
  t.deepEqual(
    lines.map(({ n, suppressed }) => ({ n, suppressed })),
    [
      { n: 0, suppressed: 0 },
      { n: 6, suppressed: 5 },
    ],
  );
});

test("what is held back when a storm ends inside an interval is reported once, at the interval's end", (t) => {
  const lines: { suppressed: number; n: number }[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  let now = 0;
  const timers: { flush: () => void; ms: number }[] = [];
  const warn = throttledWarn(
    log,
    1000,
    () => now,
    (flush, ms) => timers.push({ flush, ms }),
  );
  warn({ n: 0 }, "refused");
  t.is(timers.length, 0, "nothing held, no timer");
  now = 200;
  for (let n = 1; n <= 3; n++) warn({ n }, "refused");
  t.deepEqual(
    timers.map((x) => x.ms),
    [800],
    "one timer for the interval, to its end",
  );
  now = 1000;
  timers[0]?.flush();
  t.deepEqual(
    lines.map(({ n, suppressed }) => ({ n, suppressed })),
    [
      { n: 0, suppressed: 0 },
      { n: 3, suppressed: 3 },
    ],
  );
  now = 1500;
  warn({ n: 4 }, "refused");
  t.is(timers.length, 2, "a new interval holds again");
  now = 2100;
  warn({ n: 5 }, "refused");
  timers[1]?.flush();
  t.deepEqual(
    lines.slice(2).map(({ n, suppressed }) => ({ n, suppressed })),
    [{ n: 5, suppressed: 1 }],
    "a line that already reported the count leaves the timer nothing to say",
  );
});
