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

test("fire runs every listener of a connection hook; one that throws is reported and the rest still run", (t) => {
  const failures: [string, string][] = [];
  const hooks = new Hooks((name, error) => failures.push([name, (error as Error).message]));
  const calls: string[] = [];
  hooks.add("onConnectionClose", (_connection, reason) => {
    calls.push(`first ${reason}`);
  });
  hooks.add("onConnectionClose", () => {
    throw new Error("plugin bug");
  });
  hooks.add("onConnectionClose", (_connection, reason) => {
    calls.push(`third ${reason}`);
  });
  hooks.fire("onConnectionClose", {} as never, "bye");
  t.deepEqual(calls, ["first bye", "third bye"]);
  t.deepEqual(failures, [["onConnectionClose", "plugin bug"]]);
});

test("without a failure handler, a throwing listener's error reaches the caller", (t) => {
  const hooks = new Hooks();
  hooks.add("onConnection", () => {
    throw new Error("plugin bug");
  });
  t.throws(() => hooks.fire("onConnection", {} as never), { message: "plugin bug" });
});

test("close runs onClose last registered first; a failure is reported and the earlier ones still run", async (t) => {
  const failures: string[] = [];
  const hooks = new Hooks((name) => failures.push(name));
  const calls: string[] = [];
  hooks.add("onClose", async () => {
    calls.push("first registered");
  });
  hooks.add("onClose", async () => {
    throw new Error("release failed");
  });
  hooks.add("onClose", () => {
    calls.push("last registered");
  });
  await hooks.close();
  t.deepEqual(calls, ["last registered", "first registered"]);
  t.deepEqual(failures, ["onClose"]);
});
