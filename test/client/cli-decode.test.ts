import "reflect-metadata";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import test from "ava";
import { encodeFrame } from "../../core/protocol/frame-encoder.js";
import {
  Command,
  ErrorCode,
  ErrorReply,
  encodeMessage,
  FastConnectHello,
  FastConnectRequest,
} from "../../core/protocol/index.js";

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, ["build/client/cli/main.js", ...args]);

test("decode reads frames back through protobufjs reflection, independently of the generated code", async (t) => {
  const error = encodeFrame(
    Command.ERROR,
    0,
    7,
    encodeMessage(ErrorReply, { command: 99, code: ErrorCode.UNSUPPORTED_CMD, reason: "unsupported command 99" }),
  );
  const { stdout } = await run(process.execPath, [
    "build/client/cli/main.js",
    "decode",
    "--direction",
    "down",
    `${error.toString("hex")}df`,
  ]);
  const [frame, heartbeat] = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  t.deepEqual(frame, {
    cmd: 10,
    flags: 0,
    seq: 7,
    length: error.length - 13,
    "mpush.v1.ErrorReply": { command: 99, code: "ERROR_CODE_UNSUPPORTED_CMD", reason: "unsupported command 99" },
  });
  t.deepEqual(heartbeat, { heartbeat: true });
});

test("decode opens the nested hello of a FAST_CONNECT request", async (t) => {
  const hello = encodeMessage(FastConnectHello, {
    sessionId: "abc",
    deviceId: "phone-1",
    minHeartbeatMs: 1000,
    maxHeartbeatMs: 2000,
    clientNonce: Buffer.alloc(32, 1),
    timestampMs: 1_700_000_000_000,
  });
  const frame = encodeFrame(
    Command.FAST_CONNECT,
    0,
    3,
    encodeMessage(FastConnectRequest, { hello, binder: Buffer.alloc(32, 2) }),
  );
  const { stdout } = await cli("decode", frame.toString("hex"));
  const decoded = JSON.parse(stdout)["mpush.v1.FastConnectRequest"];
  t.is(decoded.hello.sessionId, "abc");
  t.is(decoded.hello.deviceId, "phone-1");
  t.is(decoded.hello.timestampMs, 1_700_000_000_000);
  t.is(Buffer.from(decoded.binder, "base64").toString("hex"), "02".repeat(32));
});

test("decode refuses input that is not hex, with usage and exit code 2", async (t) => {
  const error = await t.throwsAsync(cli("decode", "xyz"));
  t.is((error as { code?: number }).code, 2);
  t.regex((error as { stderr?: string }).stderr ?? "", /even number of hex digits/);
});

test("decode reports trailing bytes that make no whole frame instead of dropping them", async (t) => {
  const frame = encodeFrame(Command.OK, 0, 3, Buffer.alloc(0)).toString("hex");
  const { stdout } = await cli("decode", "--direction", "down", `df${frame}000000`);
  const lines = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  t.deepEqual(lines[0], { heartbeat: true });
  t.is(lines[1].cmd, Command.OK);
  t.deepEqual(lines[2], { incomplete: true, bytes: 3 });
  t.is(lines.length, 3);
});

test("decode reports a capture cut after a header, or inside a body, with every byte it holds", async (t) => {
  const frame = encodeFrame(Command.FAST_CONNECT, 0, 1, Buffer.alloc(13, 1)).toString("hex");
  for (const [cut, bytes] of [
    [26, 13],
    [30, 15],
  ] as const) {
    const { stdout } = await cli("decode", frame.slice(0, cut));
    t.deepEqual(JSON.parse(stdout.trim()), { incomplete: true, bytes }, `${bytes} bytes`);
  }
});

test("decode in the wrong direction prints the body it could not read, goes on with the next frame, and exits 1", async (t) => {
  const vectors = JSON.parse(readFileSync("docs/test-vectors.json", "utf8")) as { handshake: { reply_frame: string } };
  const error = await t.throwsAsync(cli("decode", `${vectors.handshake.reply_frame}df`));
  t.is((error as { code?: number }).code, 1);
  const [reply, heartbeat] = ((error as { stdout?: string }).stdout ?? "")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  t.is(reply.cmd, Command.HANDSHAKE);
  t.regex(reply.error, /^not a mpush\.v1\.HandshakeRequest \(read as --direction up; try down\)/);
  t.true(vectors.handshake.reply_frame.endsWith(reply.bodyHex));
  t.deepEqual(heartbeat, { heartbeat: true });
  const { stdout } = await cli("decode", "--direction", "down", vectors.handshake.reply_frame);
  t.truthy(JSON.parse(stdout)["mpush.v1.HandshakeOk"]);
});
