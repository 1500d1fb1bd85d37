import { readFileSync } from "node:fs";
import test from "ava";
import {
  connectionsWithin,
  defaultMaxConnections,
  parseOpenFilesLimit,
} from "../../../core/runtime/open-files-limit.js";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                1048576              files
Max locked memory         8388608              8388608              bytes
`;

test("the soft open-files limit is read from /proc/<pid>/limits text", (t) => {
  t.is(parseOpenFilesLimit(LIMITS), 20000);
  t.is(parseOpenFilesLimit(LIMITS.replace("20000 ", "unlimited ")), undefined);
  t.is(parseOpenFilesLimit("Limit Soft Limit\nMax processes 10 10 processes\n"), undefined);
});

test("connections keep an eighth of the descriptors back, at most 1024, and at least one connection is allowed", (t) => {
  t.is(connectionsWithin(1024), 896);
  t.is(connectionsWithin(20000), 18976);
  t.is(connectionsWithin(1048576), 1047552);
  t.is(connectionsWithin(8), 7);
  t.is(connectionsWithin(1), 1);
});

test("the default follows the process's limit, and is no limit where none can be read", (t) => {
  t.is(
    defaultMaxConnections(() => LIMITS),
    18976,
  );
  t.is(
    defaultMaxConnections(() => {
      throw new Error("ENOENT");
    }),
    undefined,
  );
  if (process.platform === "linux") {
    const own = parseOpenFilesLimit(readFileSync("/proc/self/limits", "utf8"));
    t.is(defaultMaxConnections(), own === undefined ? undefined : connectionsWithin(own));
  }
});
