import test from "ava";
import { ErrorCode } from "../../../core/protocol/index.js";
import { errorCodeProblem, FIRST_PLUGIN_CODE } from "../../../core/protocol/protocol-error.js";

test("errorCodeProblem: core codes from 100 and plugin codes from 1000 to int32 are answerable, at each bound", (t) => {
  for (const code of [
    ErrorCode.DISPATCH_ERROR,
    ErrorCode.STORE_UNAVAILABLE,
    FIRST_PLUGIN_CODE,
    FIRST_PLUGIN_CODE + 1,
    0x7fff_ffff,
  ]) {
    t.is(errorCodeProblem(code), undefined, String(code));
  }
});

test("errorCodeProblem names what is wrong with each kind of code", (t) => {
  t.is(errorCodeProblem(0), "code 0, not an integer from 1 to 2147483647");
  t.is(errorCodeProblem(2 ** 31), "code 2147483648, not an integer from 1 to 2147483647");
  t.is(errorCodeProblem(106.5), "code 106.5, not an integer from 1 to 2147483647");
  t.is(errorCodeProblem(ErrorCode.OFFLINE), "code 1, a push API answer that is never sent on a client connection");
  t.is(errorCodeProblem(99), "code 99, a push API answer that is never sent on a client connection");
  t.is(errorCodeProblem(999), "code 999, which the core does not define (plugin codes start at 1000)");
});
