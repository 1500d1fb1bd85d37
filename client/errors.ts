import { ErrorCode } from "../core/protocol/index.js";

/** The server answered ERROR. `codeName` is the ErrorCode name ("SESSION_EXPIRED"), or the number for plugin codes. */
export class ServerError extends Error {
  override readonly name = "ServerError";
  readonly codeName: string;

  constructor(
    readonly command: number,
    readonly code: number,
    readonly reason: string,
  ) {
    const codeName = ErrorCode[code] ?? String(code);
    super(`server refused command ${command}: ${codeName} (${reason})`);
    this.codeName = codeName;
  }
}

/** The server's reply does not prove what it must (signature, finished MAC): possibly not our server. */
export class VerificationError extends Error {
  override readonly name = "VerificationError";
}

/**
 * The application's SessionStorage failed to load, save or clear the session.
 * The connection is not affected: the client keeps the session in memory and
 * resumes from there until a save succeeds.
 */
export class SessionStorageError extends Error {
  override readonly name = "SessionStorageError";
}
