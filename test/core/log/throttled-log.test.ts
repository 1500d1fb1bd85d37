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
