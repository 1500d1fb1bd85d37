import test from "ava";
import type { Connection } from "../../../core/connection/connection.js";
import { HandlerTimeoutError } from "../../../core/dispatch/handler-deadline.js";
import { ConnectionClosedError, RequestContext } from "../../../core/dispatch/request-context.js";

const context = () => new RequestContext({} as Connection, 150, 7, 0, Buffer.alloc(0));

test("the signal is one object, made on first read, aborted with the first reason only", (t) => {
  const request = context();
  const signal = request.signal;
  t.is(request.signal, signal);
  t.false(signal.aborted);
  const timeout = new HandlerTimeoutError("late");
  request.abort(timeout);
  request.connectionClosed("peer went away");
  t.true(signal.aborted);
  t.is(signal.reason, timeout);
  t.is(request.abortReason, timeout);
});

test("a signal first read after the abort is already aborted, with the reason", (t) => {
  const request = context();
  request.connectionClosed("peer went away");
  t.true(request.signal.aborted);
  t.true(request.signal.reason instanceof ConnectionClosedError);
  t.is(request.signal.reason, request.abortReason);
  t.regex((request.abortReason as Error).message, /command 150: peer went away/);
});

test("never aborted: no reason", (t) => {
  const request = context();
  t.false(request.signal.aborted);
  t.is(request.abortReason, undefined);
});

test("throwIfAborted throws the first reason, and makes no signal while it does not", (t) => {
  const request = context();
  t.notThrows(() => request.throwIfAborted());
  request.connectionClosed("peer went away");
  request.abort(new HandlerTimeoutError("late"));
  const thrown = t.throws(() => request.throwIfAborted());
  t.true(thrown === request.abortReason, "the reason itself");
  t.true(thrown instanceof ConnectionClosedError);
  t.is((request as unknown as { controller: unknown }).controller, undefined, "no AbortController was made");
});
