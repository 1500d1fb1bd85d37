import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { createStdoutLog } from "../../../core/log/logger.js";
import { sleep } from "../../helpers/wait.js";

/**
 * Both ends of a named pipe, non-blocking as a server's stdout pipe is; nothing reads it until the
 * test does. The write end is closed at teardown unless a logger given up on closed it already.
 */
function pipe(t: { teardown(fn: () => void): void }, { closeWriter = true } = {}): { reader: number; writer: number } {
  const path = join(mkdtempSync(join(tmpdir(), "mpush-log-")), "fifo");
  execFileSync("mkfifo", [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  t.teardown(() => {
    closeSync(reader);
    if (closeWriter) closeSync(writer);
  });
  return { reader, writer };
}

/** Everything the pipe holds now, as JSON lines. */
function drain(reader: number): { msg: string; n?: number; droppedLines?: number }[] {
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
  // A writer given up on may leave half a line: only whole lines count.
  return Buffer.concat(chunks)
    .toString()
    .split("\n")
    .slice(0, -1)
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

test("flushBeforeExit gives up on a reader that takes nothing, after its deadline", (t) => {
  const { reader, writer } = pipe(t, { closeWriter: false });
  const { logger, flushBeforeExit } = createStdoutLog("info", { fd: writer });
  for (let n = 0; n < 2000; n++) logger.info({ n }, "a line of about a hundred bytes, to fill the pipe");
  const started = Date.now();
  flushBeforeExit(300);
  const waited = Date.now() - started;
  t.true(waited >= 300 && waited < 2000, `waited ${waited} ms`);
  t.true(drain(reader).length > 0, "what fitted in the pipe was written");
});
