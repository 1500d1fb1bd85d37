import test from "ava";
import { TimerWheel, WheelTimer } from "../../../core/runtime/timer-wheel.js";

const TICK = 10;

/** A wheel on a hand-driven clock; `fired` records (timer name, now) pairs. */
function setup(slots = 8, start = 1_000_000) {
  let now = start;
  const wheel = new TimerWheel(TICK, () => now, slots);
  const fired: [string, number][] = [];
  const timer = (name: string, next?: (now: number) => number | undefined) =>
    new WheelTimer((at) => {
      fired.push([name, at]);
      return next?.(at);
    });
  const advanceTo = (to: number) => {
    now = to;
    wheel.advance(to);
  };
  return { wheel, fired, timer, advanceTo, start };
}

test("a timer fires once its due time is reached, not before", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup();
  wheel.schedule(timer("a"), start + 25);
  t.is(wheel.scheduled, 1);
  advanceTo(start + 20);
  t.deepEqual(fired, []);
  advanceTo(start + 29);
  t.deepEqual(fired, []);
  advanceTo(start + 30);
  t.deepEqual(fired, [["a", start + 30]]);
  t.is(wheel.scheduled, 0);
  advanceTo(start + 1000);
  t.is(fired.length, 1, "fires once");
});

test("a timer due exactly on a tick boundary fires on that tick", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup();
  wheel.schedule(timer("a"), start + 30);
  advanceTo(start + 29);
  t.deepEqual(fired, []);
  advanceTo(start + 30);
  t.is(fired.length, 1);
});

test("a cancelled timer never fires", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup();
  const a = timer("a");
  wheel.schedule(a, start + 20);
  wheel.cancel(a);
  wheel.cancel(a);
  t.is(wheel.scheduled, 0);
  advanceTo(start + 500);
  t.deepEqual(fired, []);
});

test("a timer that fires may cancel or move the others due in its tick: they do not fire then", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup();
  const cancelled = timer("cancelled");
  const moved = timer("moved");
  wheel.schedule(
    timer("first", () => {
      wheel.cancel(cancelled);
      wheel.schedule(moved, start + 40);
      return undefined;
    }),
    start + 10,
  );
  wheel.schedule(cancelled, start + 10);
  wheel.schedule(moved, start + 10);
  advanceTo(start + 10);
  t.deepEqual(fired, [["first", start + 10]]);
  t.is(wheel.scheduled, 1);
  advanceTo(start + 40);
  t.deepEqual(fired, [
    ["first", start + 10],
    ["moved", start + 40],
  ]);
  t.is(wheel.scheduled, 0);
});

test("rescheduling moves a timer instead of adding a second one", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup();
  const a = timer("a");
  wheel.schedule(a, start + 20);
  wheel.schedule(a, start + 100);
  t.is(wheel.scheduled, 1);
  advanceTo(start + 50);
  t.deepEqual(fired, []);
  advanceTo(start + 100);
  t.deepEqual(fired, [["a", start + 100]]);
  wheel.schedule(a, start + 200);
  wheel.schedule(a, start + 150);
  advanceTo(start + 150);
  t.is(fired.length, 2, "moved earlier too");
});

test("a timer due now, or in the past, fires on the next tick, not the current one", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup();
  wheel.schedule(timer("now"), start);
  wheel.schedule(timer("past"), start - 5000);
  wheel.advance(start);
  t.deepEqual(fired, []);
  advanceTo(start + TICK);
  t.deepEqual(
    fired.map(([name]) => name),
    ["now", "past"],
  );
});

test("a timer that returns a due time stays scheduled; one that keeps asking for now fires once per tick", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup();
  let left = 3;
  wheel.schedule(
    timer("repeat", (now) => (--left > 0 ? now : undefined)),
    start + TICK,
  );
  advanceTo(start + TICK);
  t.is(fired.length, 1, "rescheduled for now does not fire again within the same advance");
  advanceTo(start + 2 * TICK);
  advanceTo(start + 3 * TICK);
  advanceTo(start + 10 * TICK);
  t.is(fired.length, 3);
  t.is(wheel.scheduled, 0);
});

test("far-future timers survive whole revolutions of the wheel", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup(8);
  const revolution = 8 * TICK;
  wheel.schedule(timer("far"), start + 12 * revolution + 5);
  wheel.schedule(timer("near"), start + 5);
  for (let at = start; at < start + 12 * revolution + 10; at += TICK) {
    advanceTo(at);
    if (fired.some(([name]) => name === "far")) t.fail(`fired early at +${at - start}`);
  }
  advanceTo(start + 12 * revolution + 10);
  t.deepEqual(
    fired.map(([name]) => name),
    ["near", "far"],
  );
});

test("one big advance processes every tick in between, in due order", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup(4);
  wheel.schedule(timer("c"), start + 95);
  wheel.schedule(timer("a"), start + 15);
  wheel.schedule(timer("b"), start + 45);
  advanceTo(start + 1000);
  t.deepEqual(
    fired.map(([name]) => name),
    ["a", "b", "c"],
  );
});

test("many timers in one bucket, due in different revolutions, fire on their own ticks", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup(4);
  for (let r = 0; r < 5; r++) wheel.schedule(timer(`r${r}`), start + TICK + r * 4 * TICK);
  t.is(wheel.scheduled, 5);
  for (let r = 0; r < 5; r++) {
    advanceTo(start + TICK + r * 4 * TICK);
    t.deepEqual(
      fired.map(([name]) => name),
      Array.from({ length: r + 1 }, (_, i) => `r${i}`),
    );
  }
});

test("a started wheel advances by itself on the real clock", async (t) => {
  const wheel = new TimerWheel(5, () => Date.now());
  wheel.start();
  t.teardown(() => wheel.stop());
  const scheduledAt = Date.now();
  const firedAt = await new Promise<number>((resolve, reject) => {
    // The wheel's interval is unref'd; this guard keeps the event loop alive meanwhile.
    const guard = setTimeout(() => reject(new Error("the wheel never fired")), 5000);
    wheel.schedule(
      new WheelTimer((now) => {
        clearTimeout(guard);
        resolve(now);
        return undefined;
      }),
      scheduledAt + 20,
    );
  });
  t.true(firedAt >= scheduledAt + 20);
});

test("timers scheduled before start() fire on time, not a revolution late", (t) => {
  let now = 1_000_000;
  const wheel = new TimerWheel(TICK, () => now, 8);
  const fired: number[] = [];
  wheel.schedule(
    new WheelTimer((at) => {
      fired.push(at);
      return undefined;
    }),
    now + 20,
  );
  now += 500;
  wheel.start();
  wheel.stop();
  t.deepEqual(fired, [now]);
});

test("a timer that throws is reported and dropped; the others due in the same tick still fire", (t) => {
  const start = 1_000_000;
  const now = start;
  const failures: string[] = [];
  const wheel = new TimerWheel(
    TICK,
    () => now,
    8,
    (error) => failures.push((error as Error).message),
  );
  const fired: string[] = [];
  wheel.schedule(
    new WheelTimer(() => {
      throw new Error("plugin timer bug");
    }),
    start + 10,
  );
  wheel.schedule(
    new WheelTimer(() => {
      fired.push("after");
      return undefined;
    }),
    start + 10,
  );
  wheel.advance(start + 10);
  t.deepEqual(failures, ["plugin timer bug"]);
  t.deepEqual(fired, ["after"]);
  t.is(wheel.scheduled, 0, "the failed timer is not rescheduled");
});

test("without a failure handler, a timer's error reaches the caller of advance", (t) => {
  const start = 1_000_000;
  const wheel = new TimerWheel(TICK, () => start, 8);
  wheel.schedule(
    new WheelTimer(() => {
      throw new Error("plugin timer bug");
    }),
    start + 10,
  );
  t.throws(() => wheel.advance(start + 10), { message: "plugin timer bug" });
});

test("when a timer's error escapes advance, the rest of its tick stay scheduled and fire a revolution later", (t) => {
  const { wheel, fired, timer, advanceTo, start } = setup(8);
  wheel.schedule(
    new WheelTimer(() => {
      throw new Error("plugin timer bug");
    }),
    start + 10,
  );
  wheel.schedule(timer("after"), start + 10);
  t.throws(() => advanceTo(start + 10), { message: "plugin timer bug" });
  t.is(wheel.scheduled, 1, "the other timer is still counted");
  t.deepEqual(fired, []);
  advanceTo(start + 10 + 8 * TICK);
  t.deepEqual(fired, [["after", start + 90]]);
  t.is(wheel.scheduled, 0);
});
