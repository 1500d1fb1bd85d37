import assert from "node:assert/strict";
import test from "ava";
import fc from "fast-check";
import { FrameError } from "../../../core/errors/frame-errors.js";
import { FrameDecoder } from "../../../core/protocol/frame-decoder.js";
import { encodeFrame } from "../../../core/protocol/frame-encoder.js";
import { HEADER_LENGTH, HEARTBEAT_BYTE, KNOWN_FLAGS } from "../../../core/protocol/packet.js";

const LIMIT = 256;

interface Plain {
  cmd: number;
  flags: number;
  seq: number;
  body: string;
}

interface Outcome {
  packets: Plain[];
  error: string | undefined;
}

/** Splits `bytes` at the given cut points (any order, duplicates allowed). */
function chunk(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(at, p));
    at = p;
  }
  chunks.push(bytes.subarray(at));
  return chunks;
}

/**
 * Runs the decoder over the chunks; checks after every push that `buffered`
 * stays within limit + header and that anything thrown is a FrameError.
 */
function run(chunks: readonly Buffer[], limit = LIMIT): Outcome {
  const decoder = new FrameDecoder(limit);
  const packets: Plain[] = [];
  for (const c of chunks) {
    try {
      decoder.push(c, (p) => packets.push({ cmd: p.cmd, flags: p.flags, seq: p.seq, body: p.body.toString("hex") }));
    } catch (error) {
      if (!(error instanceof FrameError)) throw new Error(`decoder threw a non-FrameError: ${String(error)}`);
      return { packets, error: error.name };
    }
    if (decoder.buffered > limit + HEADER_LENGTH) throw new Error(`buffered ${decoder.buffered} bytes`);
  }
  return { packets, error: undefined };
}

const frame = fc
  .record({
    cmd: fc.integer({ min: 0, max: 255 }),
    flags: fc.integer({ min: 0, max: KNOWN_FLAGS }),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    body: fc.uint8Array({ maxLength: LIMIT }),
  })
  .map((f) => ({ ...f, bytes: encodeFrame(f.cmd, f.flags, f.seq, f.body) }));

/** Streams that mix valid frames, heartbeats, bad headers and noise. */
const segment = fc.oneof(
  frame.map((f) => f.bytes),
  fc.constant(Buffer.from([HEARTBEAT_BYTE])),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b)),
  fc
    .record({ length: fc.integer({ min: 0, max: 0xffffffff }), flags: fc.integer({ min: 0, max: 255 }) })
    .map(({ length, flags }) => {
      const h = encodeFrame(100, flags, 1, Buffer.alloc(0));
      h.writeUInt32BE(length, 0);
      return h;
    }),
);

const stream = fc.array(segment, { maxLength: 12 }).map((parts) => Buffer.concat(parts));
const cuts = fc.array(fc.nat(), { maxLength: 20 });

test("arbitrary streams, arbitrarily chunked: only FrameErrors, bounded buffering, same outcome as one chunk", (t) => {
  fc.assert(
    fc.property(stream, cuts, (bytes, points) => {
      const whole = run([bytes]);
      const chunked = run(chunk(bytes, points));
      assert.deepEqual(chunked, whole);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test("arbitrary bytes, byte by byte: the outcome is packets, then at most one typed error", (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (raw) => {
      const bytes = Buffer.from(raw);
      const outcome = run([...bytes].map((b) => Buffer.of(b)));
      if (outcome.error !== undefined)
        assert.ok(["FrameTooLargeError", "ReservedFlagsError"].includes(outcome.error), outcome.error);
      assert.deepEqual(outcome, run([bytes]));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test("round trip: encoded packets with 0xDF between them, split anywhere, decode to the same packets", (t) => {
  const item = fc.record({ frame, heartbeats: fc.integer({ min: 0, max: 3 }) });
  fc.assert(
    fc.property(fc.array(item, { maxLength: 15 }), fc.integer({ min: 0, max: 3 }), cuts, (items, lead, points) => {
      const parts: Buffer[] = [Buffer.alloc(lead, HEARTBEAT_BYTE)];
      const expected: Plain[] = Array.from({ length: lead }, () => ({ cmd: 1, flags: 0, seq: 0, body: "" }));
      for (const { frame: f, heartbeats } of items) {
        parts.push(f.bytes, Buffer.alloc(heartbeats, HEARTBEAT_BYTE));
        expected.push({ cmd: f.cmd, flags: f.flags, seq: f.seq, body: Buffer.from(f.body).toString("hex") });
        for (let i = 0; i < heartbeats; i++) expected.push({ cmd: 1, flags: 0, seq: 0, body: "" });
      }
      const outcome = run(chunk(Buffer.concat(parts), points));
      assert.deepEqual(outcome, { packets: expected, error: undefined });
    }),
    { numRuns: 300 },
  );
  t.pass();
});
