import type { DependencyContainer } from "tsyringe";
import { type CommandHandler, HANDLERS } from "./command-handler.js";

type HandlerClass = new (...args: never[]) => CommandHandler<never>;

/** Shorthand for `container.register(HANDLERS, { useClass })`, one per class. */
export function registerHandlers(container: DependencyContainer, ...classes: HandlerClass[]): void {
  for (const useClass of classes) {
    container.register(HANDLERS, { useClass: useClass as unknown as new () => CommandHandler<unknown> });
  }
}
