import "reflect-metadata";
import { injectable } from "tsyringe";
import type { CommandHandler, HandlesOptions } from "./command-handler.js";

const HANDLES = Symbol("mpush.handles");

export interface HandlesMetadata extends HandlesOptions<unknown> {
  readonly command: number;
}

type HandlerClass<Request> = new (...args: never[]) => CommandHandler<Request>;

/**
 * Declares the command a handler class answers. It only records: the class's
 * metadata, and its constructor parameter types for injection (what
 * tsyringe's @injectable records). Nothing is registered anywhere until a
 * plugin registers the class in its server's container.
 */
export function Handles<Request>(command: number, options: HandlesOptions<Request> = {}) {
  return (target: HandlerClass<Request>): void => {
    Reflect.defineMetadata(HANDLES, { command, ...options } satisfies HandlesMetadata, target);
    injectable()(target as unknown as new (...args: unknown[]) => unknown);
  };
}

export function handlesMetadataOf(target: object): HandlesMetadata | undefined {
  return Reflect.getOwnMetadata(HANDLES, target) as HandlesMetadata | undefined;
}
