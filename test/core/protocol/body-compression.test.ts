import { deflateRawSync, deflateSync } from "node:zlib";
import test from "ava";
import { deflateBody, InflateError, inflateBody } from "../../../core/protocol/body-compression.js";

const LIMIT = 64 * 1024;

test("deflateBody output is a zlib (RFC 1950) stream that inflates back", (t) => {
  const body = Buffer.from("mpush ".repeat(1000));
  const deflated = deflateBody(body);
  t.is(deflated[0], 0x78, "zlib header, as Java's DeflaterOutputStream writes");
  t.true(deflated.length < body.length);
  t.true(inflateBody(deflated, LIMIT).equals(body));
});

test("a body that inflates to exactly the limit is accepted", (t) => {
  const body = Buffer.alloc(LIMIT, 1);
  t.is(inflateBody(deflateSync(body), LIMIT).length, LIMIT);
});

test("a body that would inflate one byte past the limit is an InflateError", (t) => {
  const error = t.throws(() => inflateBody(deflateSync(Buffer.alloc(LIMIT + 1)), LIMIT), { instanceOf: InflateError });
  t.regex(error?.message ?? "", /exceeds the 65536-byte limit/);
});

test("a zlib bomb that fits in one body but inflates to 32 MiB is an InflateError", (t) => {
  const bomb = deflateSync(Buffer.alloc(32 * 1024 * 1024), { level: 9 });
  t.true(bomb.length < LIMIT);
  const error = t.throws(() => inflateBody(bomb, LIMIT), { instanceOf: InflateError });
  t.regex(error?.message ?? "", /exceeds/);
});

test("bytes after the end of the zlib stream are an InflateError, and so is a preset dictionary", (t) => {
  const valid = deflateSync(Buffer.from("hello hello hello"));
  for (const [name, input, count] of [
    ["one junk byte", Buffer.concat([valid, Buffer.from([0])]), 1],
    ["a second stream", Buffer.concat([valid, valid]), valid.length],
  ] as const) {
    const error = t.throws(() => inflateBody(input, LIMIT), { instanceOf: InflateError }, name);
    t.is(error?.message, `body has ${count} bytes after the end of its zlib stream`, name);
  }
  const withDictionary = deflateSync(Buffer.from("hello"), { dictionary: Buffer.from("hello") });
  const error = t.throws(() => inflateBody(withDictionary, LIMIT), { instanceOf: InflateError });
  t.regex(error?.message ?? "", /not a valid zlib stream/);
});

test("invalid streams are InflateErrors that keep the zlib cause", (t) => {
  const valid = deflateSync(Buffer.from("hello hello hello"));
  const cases: [string, Buffer][] = [
    ["garbage", Buffer.from("definitely not zlib")],
    ["empty", Buffer.alloc(0)],
    ["raw deflate without the zlib header", deflateRawSync(Buffer.from("hello"))],
    ["truncated", valid.subarray(0, valid.length - 3)],
    ["bad checksum", Buffer.concat([valid.subarray(0, valid.length - 1), Buffer.from([valid.at(-1)! ^ 0xff])])],
  ];
  for (const [name, input] of cases) {
    const error = t.throws(() => inflateBody(input, LIMIT), { instanceOf: InflateError }, name);
    t.regex(error?.message ?? "", /not a valid zlib stream/, name);
    t.truthy(error?.cause, name);
  }
});
