import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { FdWriter } from "../../../core/log/fd-writer.js";
import { createStdoutLog, MAX_BUFFERED_LOG_BYTES } from "../../../core/log/logger.js";
import { sleep } from "../../helpers/wait.js";

/**
 * Both ends of a named pipe, non-blocking as a server's stdout pipe is; nothing reads it until the
 * test does. The write end is closed at teardown unless a logger given up on closed it already.
 */
function pipe(t: { teardown(fn: () => void): void }, { closeReader = true } = {}): { reader: number; writer: number } {
  const path = join(mkdtempSync(join(tmpdir(), "mpush-log-")), "fifo");
  execFileSync("mkfifo", [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  t.teardown(() => {
    if (closeReader) closeSync(reader);
    closeSync(writer);
  });
  return { reader, writer };
}

/** Everything the pipe holds now. */
function drainText(reader: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(65536);
  for (;;) {
    try {
      const n = readSync(reader, buffer);
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") break;
      throw error;
    }
  }
  return Buffer.concat(chunks).toString();
}

/** Everything the pipe holds now, as JSON lines. */
function drain(reader: number): { msg: string; n?: number; droppedLines?: number }[] {
  return drainText(reader)
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

test("a stdout nobody reads costs bounded memory: lines past the bound are dropped, then counted once the reader is back", async (t) => {
  const { reader, writer } = pipe(t);
  const { logger } = createStdoutLog("info", { fd: writer, maxBufferedBytes: 4096 });
  const written = 2000;
  for (let n = 0; n < written; n++) {
    logger.info({ n }, "a line of about a hundred bytes, to fill the pipe");
    // A few lines per turn of the event loop, as a server logs: the pipe fills first, then the bound.
    if (n % 5 === 4) await sleep(1);
  }
  const lines: ReturnType<typeof drain> = [];
  // The writer retries a full pipe every 100 ms; keep reading until it has nothing more to give.
  for (let quiet = 0; quiet < 5; ) {
    const got = drain(reader);
    lines.push(...got);
    quiet = got.length === 0 ? quiet + 1 : 0;
    await sleep(100);
  }
  const kept = lines.filter((line) => line.n !== undefined);
  const reports = lines.filter((line) => line.droppedLines !== undefined);
  const dropped = reports.reduce((sum, line) => sum + (line.droppedLines ?? 0), 0);
  t.true(kept.length > 100 && kept.length < written, `the pipe, then the bound, held ${kept.length} lines`);
  t.true(reports.length > 0);
  t.true(reports.every((line) => line.msg === "log lines were dropped: stdout was not being read"));
  t.is(kept.length + dropped, written, "every line is either written or counted");
  t.deepEqual(
    kept.map((line) => line.n),
    [...new Set(kept.map((line) => line.n))].sort((a = 0, b = 0) => a - b),
    "what is kept is in order, with no line written twice",
  );
});

test("at exit, flushSync gives up on a reader that takes nothing, after its deadline", async (t) => {
  const { reader, writer } = pipe(t);
  const out = new FdWriter(writer, MAX_BUFFERED_LOG_BYTES);
  for (let n = 0; n < 2000; n++) out.write(`${"x".repeat(100)} ${n}\n`);
  await sleep(50);
  const started = Date.now();
  out.flushSync(300);
  const waited = Date.now() - started;
  t.true(waited >= 250 && waited < 2000, `waited ${waited} ms`);
  t.true(drainText(reader).length > 0, "what fitted in the pipe was written");
});

test("a reader that is gone ends the writing: later lines are dropped quietly, and flushSync returns at once", async (t) => {
  const { reader, writer } = pipe(t, { closeReader: false });
  const out = new FdWriter(writer, MAX_BUFFERED_LOG_BYTES);
  for (let n = 0; n < 2000; n++) out.write(`${"x".repeat(100)} ${n}\n`);
  await sleep(50);
  closeSync(reader);
  for (let n = 0; n < 10; n++) out.write("after\n");
  await sleep(250);
  const started = Date.now();
  out.flushSync(5000);
  t.true(Date.now() - started < 500, "EPIPE is not retried");
  await out.drain(5000);
});

test("at exit after a stall, the chunk awaiting its retry is written first: every line, in order", async (t) => {
  const { reader, writer } = pipe(t);
  const out = new FdWriter(writer, MAX_BUFFERED_LOG_BYTES);
  const lines = 1000;
  for (let n = 0; n < lines; n++) out.write(`${"x".repeat(100)} ${n}\n`);
  await sleep(50);
  // The reader takes what the pipe holds while a retry waits, then the process exits.
  let text = drainText(reader);
  out.flushSync(1000);
  text += drainText(reader);
  const numbers = text
    .split("\n")
    .filter(Boolean)
    .map((line) => Number(line.split(" ")[1]));
  t.deepEqual(numbers, [...Array(lines).keys()]);
});

test("drain resolves once the reader has taken every line, or at its deadline when it takes none", async (t) => {
  const { reader, writer } = pipe(t);
  const out = new FdWriter(writer, MAX_BUFFERED_LOG_BYTES);
  for (let n = 0; n < 2000; n++) out.write(`${"x".repeat(100)} ${n}\n`);
  const started = Date.now();
  await out.drain(300);
  t.true(Date.now() - started >= 250, "nobody reads: the deadline ends the wait");
  const reading = setInterval(() => drainText(reader), 5);
  t.teardown(() => clearInterval(reading));
  const again = Date.now();
  await out.drain(5000);
  t.true(Date.now() - again < 4000, "a reader that reads lets it end before its deadline");
});
