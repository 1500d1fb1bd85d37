import test from "ava";
import { encodeFrame, heartbeatFrame, writeHeader } from "../../../core/protocol/frame-encoder.js";
import { HEADER_LENGTH, HEARTBEAT_BYTE } from "../../../core/protocol/packet.js";

test("encodeFrame writes the 13-byte big-endian header, then the body", (t) => {
  const frame = encodeFrame(0x0f, 0x05, 0x01020304, Buffer.from([0xaa, 0xbb, 0xcc]));
  t.deepEqual([...frame], [0, 0, 0, 3, 0x0f, 0, 0, 0x05, 1, 2, 3, 4, 0, 0xaa, 0xbb, 0xcc]);
});

test("cc and lrc are written as zero, over a dirty buffer too", (t) => {
  const out = Buffer.alloc(HEADER_LENGTH, 0xff);
  writeHeader(out, 0, 0x10203, 200, 0x0a, 0xfffffffe);
  t.deepEqual([...out], [0, 1, 2, 3, 200, 0, 0, 0x0a, 0xff, 0xff, 0xff, 0xfe, 0]);
});

test("writeHeader writes at an offset and nowhere else", (t) => {
  const out = Buffer.alloc(HEADER_LENGTH + 4, 0x11);
  writeHeader(out, 2, 0, 1, 0, 0);
  t.deepEqual([...out.subarray(0, 2)], [0x11, 0x11]);
  t.deepEqual([...out.subarray(2 + HEADER_LENGTH)], [0x11, 0x11]);
  t.deepEqual([...out.subarray(2, 2 + HEADER_LENGTH)], [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test("seq is written as an unsigned 32-bit value", (t) => {
  t.is(encodeFrame(1, 0, -1, Buffer.alloc(0)).readUInt32BE(8), 0xffffffff);
  t.is(encodeFrame(1, 0, 2 ** 31, Buffer.alloc(0)).readUInt32BE(8), 2 ** 31);
});

test("an empty body gives a bare header with length 0", (t) => {
  const frame = encodeFrame(100, 0, 1, new Uint8Array(0));
  t.is(frame.length, HEADER_LENGTH);
  t.is(frame.readUInt32BE(0), 0);
});

test("the heartbeat frame is the single byte 0xDF", (t) => {
  t.deepEqual([...heartbeatFrame()], [HEARTBEAT_BYTE]);
  t.is(HEARTBEAT_BYTE, 0xdf);
});
