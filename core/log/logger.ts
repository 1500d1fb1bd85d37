import { pino } from "pino";

export type Logger = pino.Logger;

export const LOGGER: unique symbol = Symbol("mpush.Logger");

/**
 * Structured JSON logs. Nothing logs bodies or key material by design; the
 * redact list is a second line of defence for fields with secret-like names.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "mpush" },
      redact: {
        paths: ["*.secret", "*.sessionSecret", "*.key", "*.privateKey", "*.body", "*.binder", "*.password"],
        censor: "[redacted]",
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
