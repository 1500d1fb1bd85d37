import test from "ava";
import { pino } from "pino";
import type { Logger } from "../../../core/log/logger.js";
import { throttledWarn } from "../../../core/log/throttled-log.js";

/** Records what the throttled logger hands to the logger, before any serializer. */
function recordingLogger() {
  const calls: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const record = (level: string) => (fields: Record<string, unknown>, message: string) =>
    calls.push({ level, fields, message });
  const log = { info: record("info"), warn: record("warn"), error: record("error") } as unknown as Logger;
  return { log, calls };
}

/** An error as a Redis client raises it during an outage: a stack and a `code`. */
function refused(message = "connect ECONNREFUSED 127.0.0.1:6379"): Error {
  return Object.assign(new Error(message), { code: "ECONNREFUSED" });
}

/** A throttled warning of 1000 ms on a clock the test sets, recording what reaches the logger; no flush timer. */
function manualWarn() {
  const { log, calls } = recordingLogger();
  const clock = { now: 0 };
  const warn = throttledWarn(
    log,
    1000,
    () => clock.now,
    () => {},
  );
  return { calls, warn, clock };
}

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

test("within a storm, the error already logged in full is logged again without its stack", (t) => {
  const { calls, warn, clock } = manualWarn();
  const first = refused();
  warn({ err: first, store: "redis://h" }, "session store error");
  clock.now = 1000;
  warn({ err: refused(), store: "redis://h" }, "session store error");
  t.is(calls[0]?.fields.err, first, "the storm's first line carries the error itself, stack and all");
  t.deepEqual(
    { ...(calls[1]?.fields.err as object) },
    { type: "Error", message: "connect ECONNREFUSED 127.0.0.1:6379", code: "ECONNREFUSED" },
  );
  t.is(calls[1]?.fields.store, "redis://h", "the other fields are untouched");
  t.false("stack" in Object(calls[1]?.fields.err));
});

test("an AggregateError is compacted with its errors' messages, and other errors inside make it another error", (t) => {
  const { calls, warn, clock } = manualWarn();
  // As Node reports a connect to a host that resolves to two addresses, both refusing.
  const both = () =>
    Object.assign(new AggregateError([refused("connect ECONNREFUSED ::1:6379"), refused()], ""), {
      code: "ECONNREFUSED",
    });
  warn({ err: both() }, "session store error");
  clock.now = 1000;
  warn({ err: both() }, "session store error");
  clock.now = 2000;
  const other = new AggregateError([refused("connect ECONNREFUSED ::1:6380")], "");
  warn({ err: other }, "session store error");
  t.deepEqual(
    { ...(calls[1]?.fields.err as object) },
    {
      type: "AggregateError",
      message: "",
      code: "ECONNREFUSED",
      errors: ["connect ECONNREFUSED ::1:6379", "connect ECONNREFUSED 127.0.0.1:6379"],
    },
  );
  t.is(calls[2]?.fields.err, other, "other errors inside: logged in full");
});

test("an error of another message or type is logged in full again", (t) => {
  const { calls, warn, clock } = manualWarn();
  warn({ err: refused() }, "session store error");
  clock.now = 1000;
  const other = refused("connect ECONNREFUSED 127.0.0.1:6380");
  warn({ err: other }, "session store error");
  clock.now = 2000;
  const typed = new TypeError("connect ECONNREFUSED 127.0.0.1:6380");
  warn({ err: typed }, "session store error");
  clock.now = 3000;
  warn({ err: new TypeError(typed.message) }, "session store error");
  t.is(calls[1]?.fields.err, other);
  t.is(calls[2]?.fields.err, typed);
  t.deepEqual({ ...(calls[3]?.fields.err as object) }, { type: "TypeError", message: typed.message });
});

test("an error with another cause is another error: logged in full; the compact form carries the causes", (t) => {
  const { calls, warn, clock } = manualWarn();
  const failed = (cause: string) => new Error("backend call failed", { cause: new Error(cause) });
  warn({ err: failed("connect ETIMEDOUT 10.0.0.5:5432") }, "backend");
  clock.now = 1000;
  const other = failed("connect ECONNREFUSED 10.0.0.5:5432");
  warn({ err: other }, "backend");
  clock.now = 2000;
  warn({ err: failed("connect ECONNREFUSED 10.0.0.5:5432") }, "backend");
  t.is(calls[1]?.fields.err, other);
  t.deepEqual(
    { ...(calls[2]?.fields.err as object) },
    { type: "Error", message: "backend call failed: connect ECONNREFUSED 10.0.0.5:5432" },
  );
});

test("after a quiet gap longer than the interval, a new storm logs the same error in full again", (t) => {
  const { calls, warn, clock } = manualWarn();
  warn({ err: refused() }, "session store error");
  clock.now = 1000;
  warn({ err: refused() }, "session store error");
  clock.now = 2001;
  const again = refused();
  warn({ err: again }, "session store error");
  t.false("stack" in Object(calls[1]?.fields.err), "a call exactly one interval later is the same storm");
  t.is(calls[2]?.fields.err, again);
});

test("compacting the error leaves the counts, the held line and other values of err as they were", (t) => {
  const { log, calls } = recordingLogger();
  let now = 0;
  const timers: (() => void)[] = [];
  const warn = throttledWarn(
    log,
    1000,
    () => now,
    (flush) => timers.push(flush),
  );
  warn({ err: refused(), n: 0 }, "session store error");
  now = 200;
  for (let n = 1; n <= 3; n++) warn({ err: refused(), n }, "session store error");
  now = 1000;
  warn({ err: refused(), n: 4 }, "session store error");
  timers[0]?.();
  now = 1500;
  warn({ err: refused(), n: 5 }, "session store error");
  now = 2000;
  timers[1]?.();
  now = 3000;
  warn({ err: "not an Error", n: 6 }, "session store error");
  now = 4000;
  warn({ n: 7 }, "session store error");
  t.deepEqual(
    calls.map(({ fields }) => ({ n: fields.n, suppressed: fields.suppressed, stack: "stack" in Object(fields.err) })),
    [
      { n: 0, suppressed: 0, stack: true },
      { n: 4, suppressed: 3, stack: false },
      { n: 5, suppressed: 1, stack: false },
      { n: 6, suppressed: 0, stack: false },
      { n: 7, suppressed: 0, stack: false },
    ],
  );
  t.is(calls[3]?.fields.err, "not an Error");
  t.false("err" in (calls[4]?.fields ?? {}), "a line without err gets none");
});

test("pino prints the compact error with its type and code and without a stack trace", (t) => {
  const lines: { err: { type: string; message: string; stack?: string; code?: string } }[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  let now = 0;
  const warn = throttledWarn(
    log,
    1000,
    () => now,
    () => {},
  );
  warn({ err: refused() }, "session store error");
  now = 1000;
  warn({ err: refused() }, "session store error");
  t.regex(lines[0]?.err.stack ?? "", /\n\s+at /);
  t.like(lines[1]?.err, { type: "Error", message: "connect ECONNREFUSED 127.0.0.1:6379", code: "ECONNREFUSED" });
  t.falsy(lines[1]?.err.stack);
});

test("an error whose causes loop back on themselves is compacted with each cause once", (t) => {
  const { calls, warn, clock } = manualWarn();
  // The loop is below the top error: a → b → a.
  const looped = () => {
    const closed = new Error("socket closed");
    const reset = new Error("connection reset", { cause: closed });
    closed.cause = reset;
    return new Error("request failed", { cause: closed });
  };
  warn({ err: looped() }, "backend");
  clock.now = 1000;
  warn({ err: looped() }, "backend");
  t.deepEqual(
    { ...(calls[1]?.fields.err as object) },
    { type: "Error", message: "request failed: socket closed: connection reset" },
  );
});
