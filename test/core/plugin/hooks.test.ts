import test from "ava";
import { HOOK_NAMES, type HookName, Hooks } from "../../../core/plugin/hooks.js";

test("listeners are kept per hook, in registration order", (t) => {
  const hooks = new Hooks();
  const calls: string[] = [];
  hooks.add("onClose", () => {
    calls.push("first");
  });
  hooks.add("onClose", () => {
    calls.push("second");
  });
  for (const listener of hooks.get("onClose")) listener();
  t.deepEqual(calls, ["first", "second"]);
  t.is(hooks.get("onListen").length, 0);
});

test("every declared hook starts empty", (t) => {
  const hooks = new Hooks();
  for (const name of HOOK_NAMES) t.deepEqual(hooks.get(name), []);
});

test("an unknown hook name is a TypeError listing the hooks", (t) => {
  const error = t.throws(() => new Hooks().add("onBoot" as HookName, () => {}), { instanceOf: TypeError });
  t.regex(error?.message ?? "", /unknown hook "onBoot".*onConnection/);
});
