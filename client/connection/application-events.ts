import type { EventEmitter } from "node:events";

/**
 * Emits to the application's listeners. A listener that throws is the
 * application's bug, so it must not steer the SDK: close a healthy connection
 * as if the server had sent garbage, or count a session that was made as a
 * failed attempt. The SDK finishes its own step and the throw comes back as an
 * uncaught exception, which is what a throwing listener on any Node stream gives.
 */
export function emitToApplication(emitter: EventEmitter, event: string, ...args: unknown[]): void {
  try {
    emitter.emit(event, ...args);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}
