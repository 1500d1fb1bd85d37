import test from "ava";
import { hashedLayout } from "../../../core/session/store-layout.js";

test("outside the process a session key and a device key of the same string are different HMACs", (t) => {
  const layout = hashedLayout(Buffer.alloc(32, 1), Buffer.alloc(32, 2));
  for (const id of ["device-1", "same-string", ""]) {
    const session = layout.sessionKey(id);
    const device = layout.deviceKey(id);
    t.true(session.startsWith("s:") && device.startsWith("d:"));
    // Labelled apart, so a device id chosen equal to a session id cannot link the two keys in a dump.
    t.not(session.slice(2), device.slice(2), `for ${JSON.stringify(id)}`);
  }
});
