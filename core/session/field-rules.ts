import { ErrorCode } from "../protocol/index.js";
import { ProtocolError } from "../protocol/protocol-error.js";

/**
 * Checks shared by the session commands. Each failure is INVALID_ARGUMENT
 * naming the field, never echoing its value.
 */
export function requireBytes(field: string, value: Uint8Array, length: number): void {
  if (value.length !== length) throw invalid(`${field} must be ${length} bytes`);
}

export function requireText(field: string, value: string, maxBytes: number, required = false): void {
  if (required && value.length === 0) throw invalid(`${field} is required`);
  if (Buffer.byteLength(value) > maxBytes) throw invalid(`${field} is longer than ${maxBytes} bytes`);
}

export const DEVICE_ID_MAX_BYTES = 128;
export const CLIENT_TEXT_MAX_BYTES = 64;

function invalid(reason: string): ProtocolError {
  return new ProtocolError(ErrorCode.INVALID_ARGUMENT, reason);
}
