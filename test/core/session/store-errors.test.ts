import test from "ava";
import { StoreUnavailableError, storeRefusal } from "../../../core/session/store-errors.js";

test("storeRefusal names what waiting does not end, through causes; an outage is not a refusal", (t) => {
  t.is(storeRefusal(new Error("WRONGPASS invalid username-password pair or user is disabled.")), "WRONGPASS");
  t.is(storeRefusal(new Error("NOAUTH Authentication required.")), "NOAUTH");
  t.is(
    storeRefusal(
      new StoreUnavailableError("read session failed", { cause: new Error("NOPERM this user has no permissions") }),
    ),
    "NOPERM",
  );
  t.is(storeRefusal(new Error("ERR DB index is out of range")), "no such database");
  t.is(
    storeRefusal(new Error("ERR AUTH <password> called without any password configured for the default user.")),
    "a password given to a Redis that has none",
  );
  t.is(storeRefusal(new Error("connect ECONNREFUSED 127.0.0.1:6379")), undefined);
  t.is(storeRefusal(new Error("Redis timed out after 1000ms")), undefined);
  t.is(storeRefusal("WRONGPASS as a string"), undefined);
});

test("storeRefusal: a SELECT of a database index Redis does not take is no such database", (t) => {
  t.is(storeRefusal(new Error("ERR invalid DB index")), "no such database");
});
