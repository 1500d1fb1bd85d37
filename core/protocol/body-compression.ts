import { deflateSync, inflateSync } from "node:zlib";

/** Body inflation failed or would exceed the limit; the frame itself was fine. */
export class InflateError extends Error {
  override readonly name = "InflateError";
}

/**
 * zlib (RFC 1950) as MPush's DeflaterOutputStream writes it. Output is capped at
 * `limit` bytes, so a small bomb cannot make the server allocate more than one
 * maximal body.
 */
export function inflateBody(body: Buffer, limit: number): Buffer {
  try {
    return inflateSync(body, { maxOutputLength: limit });
  } catch (cause) {
    const tooLarge = (cause as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE";
    throw new InflateError(
      tooLarge ? `inflated body exceeds the ${limit}-byte limit` : "body is not a valid zlib stream",
      {
        cause,
      },
    );
  }
}

export function deflateBody(body: Buffer): Buffer {
  return deflateSync(body);
}
