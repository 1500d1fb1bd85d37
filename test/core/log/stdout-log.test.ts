import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { FdWriter } from "../../../core/log/fd-writer.js";
import { createStdoutLog, MAX_BUFFERED_LOG_BYTES } from "../../../core/log/logger.js";
import { sleep } from "../../helpers/wait.js";

// One at a time: a writer's fs.write waits in the thread pool behind other tests' writes, and these
// tests need to know whether a write of theirs is outstanding.

/**
 * Both ends of a named pipe, non-blocking as a server's stdout pipe is; nothing reads it until the
 * test does. The read end is closed at teardown; the write end never is: a writer may still retry
 * on it, and the number must not come back as another test's descriptor while it does.
 */
function pipe(t: { teardown(fn: () => void): void }, { closeReader = true } = {}): { reader: number; writer: number } {
  const path = join(mkdtempSync(join(tmpdir(), "mpush-log-")), "fifo");
  execFileSync("mkfifo", [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  if (closeReader) t.teardown(() => closeSync(reader));
  return { reader, writer };
}

/** Resolves once no write of `out` is outstanding (a full pipe leaves it waiting for a retry instead). */
async function stalled(out: FdWriter): Promise<void> {
  await sleep(50);
  while (out.writeInFlight) await sleep(1);
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

test.serial(
  "a stdout nobody reads costs bounded memory: lines past the bound are dropped, then counted once the reader is back",
  async (t) => {
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
  },
);

test.serial("at exit, flushSync gives up on a reader that takes nothing, after its deadline", async (t) => {
  const { reader, writer } = pipe(t);
  const out = new FdWriter(writer, MAX_BUFFERED_LOG_BYTES);
  for (let n = 0; n < 2000; n++) out.write(`${"x".repeat(100)} ${n}\n`);
  await stalled(out);
  const started = Date.now();
  out.flushSync(300);
  const waited = Date.now() - started;
  t.true(waited >= 250 && waited < 2000, `waited ${waited} ms`);
  t.true(drainText(reader).length > 0, "what fitted in the pipe was written");
});

test.serial(
  "a reader that is gone ends the writing: later lines are dropped quietly, and flushSync returns at once",
  async (t) => {
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
  },
);

test.serial("at exit after a stall, the chunk awaiting its retry is written first: every line, in order", async (t) => {
  const { reader, writer } = pipe(t);
  const out = new FdWriter(writer, MAX_BUFFERED_LOG_BYTES);
  const lines = 1000;
  for (let n = 0; n < lines; n++) out.write(`${"x".repeat(100)} ${n}\n`);
  await stalled(out);
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

test.serial("drain resolves once the reader has taken every line, or at its deadline when it takes none", async (t) => {
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

test.serial(
  "after a stall, the writer keeps up with a reader that reads again: a full pipe is retried soon, not every 100 ms",
  async (t) => {
    const { reader, writer } = pipe(t);
    const out = new FdWriter(writer, MAX_BUFFERED_LOG_BYTES);
    const line = `${"x".repeat(199)}\n`;
    for (let n = 0; n < 20_000; n++) out.write(line);
    await sleep(300);
    let bytes = 0;
    const reading = setInterval(() => {
      bytes += drainText(reader).length;
    }, 1);
    t.teardown(() => clearInterval(reading));
    const started = Date.now();
    await out.drain(10_000);
    bytes += drainText(reader).length;
    // 4 MB: at one pipeful per 100 ms that took 6 s.
    t.is(bytes, 20_000 * line.length);
    t.true(Date.now() - started < 3000, `${Date.now() - started} ms`);
  },
);

test.serial(
  "no write tears a line, so a writer given up on at exit leaves whole lines for the next one on the pipe",
  async (t) => {
    const { reader, writer } = pipe(t);
    const out = new FdWriter(writer, MAX_BUFFERED_LOG_BYTES);
    for (let n = 0; n < 1000; n++) out.write(`${JSON.stringify({ n, msg: "m".repeat(80) })}\n`);
    await stalled(out);
    out.flushSync(100);
    // The server restarted on the same pipe: its first line must not be glued to half of one.
    writeSync(writer, `${JSON.stringify({ n: 0, msg: "the next process" })}\n`);
    const lines = drainText(reader).split("\n").filter(Boolean);
    t.notThrows(() => lines.map((line) => JSON.parse(line)));
    t.is(JSON.parse(lines.at(-1) ?? "{}").msg, "the next process");
  },
);

test.serial("loggers on one descriptor share its writer, so their lines never interleave mid-line", async (t) => {
  const { reader, writer } = pipe(t);
  const a = createStdoutLog("info", { fd: writer });
  const b = createStdoutLog("info", { fd: writer });
  let text = "";
  const reading = setInterval(() => {
    text += drainText(reader);
  }, 5);
  t.teardown(() => clearInterval(reading));
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) {
      a.logger.info({ who: "a" }, "z".repeat(150));
      b.logger.info({ who: "b" }, "z".repeat(150));
    }
    await sleep(1);
  }
  await a.drain(10_000);
  text += drainText(reader);
  const lines = text.split("\n").filter(Boolean);
  t.is(lines.length, 10_000);
  t.notThrows(() => lines.map((line) => JSON.parse(line)));
});
