import type { DependencyContainer } from "tsyringe";
import { HandlerRegistrationError } from "../errors/boot-errors.js";
import { Command } from "../protocol/index.js";
import type { MessageCodec } from "../protocol/message-codec.js";
import { FIRST_PLUGIN_COMMAND, MAX_COMMAND } from "../protocol/packet.js";
import { type Access, type CommandHandler, HANDLERS } from "./command-handler.js";
import { handlesMetadataOf } from "./handles.decorator.js";

export interface HandlerEntry {
  readonly command: number;
  readonly access: Access;
  readonly request: MessageCodec<unknown> | undefined;
  readonly handler: CommandHandler<unknown>;
  readonly name: string;
  /** handlerTimeoutMs does not apply (HandlesOptions.boundsItself). */
  readonly boundsItself: boolean;
}

/** Core numbers a handler may take: the ones the protocol defines (1-99 is otherwise reserved). */
const CORE_COMMANDS = new Set(Object.values(Command).filter((v): v is number => typeof v === "number" && v > 0));

/**
 * The command table of one server, built once at boot from every class
 * registered under HANDLERS. Boot fails on a handler without @Handles, a
 * command out of range, or two handlers for one command.
 */
export class HandlerRegistry {
  private readonly table: (HandlerEntry | undefined)[] = new Array(MAX_COMMAND + 1);

  static fromContainer(container: DependencyContainer): HandlerRegistry {
    const registry = new HandlerRegistry();
    if (!container.isRegistered(HANDLERS, true)) return registry;
    let handlers: CommandHandler<unknown>[];
    try {
      handlers = container.resolveAll<CommandHandler<unknown>>(HANDLERS);
    } catch (cause) {
      throw new HandlerRegistrationError("MPUSH_ERR_HANDLER_RESOLVE", "a command handler could not be constructed", {
        cause,
      });
    }
    for (const handler of handlers) registry.add(handler);
    return registry;
  }

  add(handler: CommandHandler<unknown>): void {
    const name = handler.constructor.name;
    const meta = handlesMetadataOf(handler.constructor);
    if (!meta) {
      throw new HandlerRegistrationError(
        "MPUSH_ERR_HANDLER_UNDECLARED",
        `${name} is registered as a handler but has no @Handles(command)`,
      );
    }
    const { command } = meta;
    if (!Number.isInteger(command) || command < 1 || command > MAX_COMMAND) {
      throw new HandlerRegistrationError(
        "MPUSH_ERR_COMMAND_RANGE",
        `${name} handles command ${command}; commands are 1-${MAX_COMMAND}`,
      );
    }
    if (command < FIRST_PLUGIN_COMMAND && !CORE_COMMANDS.has(command)) {
      throw new HandlerRegistrationError(
        "MPUSH_ERR_COMMAND_RANGE",
        `${name} handles command ${command}, which is reserved for the core protocol; plugin commands are ${FIRST_PLUGIN_COMMAND}-${MAX_COMMAND}`,
      );
    }
    // Only "session" is enforced, so anything but the two rules would quietly open the command to anyone.
    if (meta.access !== undefined && meta.access !== "public" && meta.access !== "session") {
      throw new HandlerRegistrationError(
        "MPUSH_ERR_HANDLER_ACCESS",
        `${name} declares access ${JSON.stringify(meta.access)}; it must be "session" (the default) or "public"`,
      );
    }
    const existing = this.table[command];
    if (existing) {
      throw new HandlerRegistrationError(
        "MPUSH_ERR_DUPLICATE_HANDLER",
        `command ${command} is handled by both ${existing.name} and ${name}`,
      );
    }
    this.table[command] = {
      command,
      access: meta.access ?? "session",
      request: meta.request,
      handler,
      name,
      boundsItself: meta.boundsItself === true,
    };
  }

  get(command: number): HandlerEntry | undefined {
    return this.table[command];
  }

  commands(): number[] {
    return this.table.flatMap((entry) => (entry ? [entry.command] : []));
  }

  /** Whether any handler can give a connection a session. */
  establishesSessions(): boolean {
    return this.table[Command.HANDSHAKE] !== undefined || this.table[Command.FAST_CONNECT] !== undefined;
  }

  /**
   * Session commands no client can ever reach: no plugin establishes a
   * session (a plugin list that replaced the built-ins without naming
   * handshake or fast-connect). Empty when there is none.
   */
  unreachableSessionCommands(): number[] {
    if (this.establishesSessions()) return [];
    return this.table.flatMap((entry) => (entry?.access === "session" ? [entry.command] : []));
  }
}
