import { deflateSync, inflateSync } from "node:zlib";

/** Body inflation failed or would exceed the limit; the frame itself was fine. */
export class InflateError extends Error {
  override readonly name = "InflateError";
}

/**
 * zlib (RFC 1950) as MPush's DeflaterOutputStream writes it: exactly one
 * complete stream, without a preset dictionary. Output is capped at `limit`
 * bytes, so a small bomb cannot make the server allocate more than one
 * maximal body. Node's inflater ignores bytes after the stream's end; they
 * are refused here, because other inflaters differ there and peers must agree.
 */
export function inflateBody(body: Buffer, limit: number): Buffer {
  // With `info`, inflateSync also returns its engine, whose bytesWritten is the input it consumed (untyped in @types/node).
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = inflateSync(body, { maxOutputLength: limit, info: true }) as unknown as typeof inflated;
  } catch (cause) {
    const tooLarge = (cause as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
    throw new InflateError(
      tooLarge ? `inflated body exceeds the ${limit}-byte limit` : "body is not a valid zlib stream",
      {
        cause,
      },
    );
  }
  const trailing = body.length - inflated.engine.bytesWritten;
  if (trailing > 0) throw new InflateError(`body has ${trailing} bytes after the end of its zlib stream`);
  return inflated.buffer;
}

export function deflateBody(body: Buffer): Buffer {
  return deflateSync(body);
}
