import "reflect-metadata";
import test from "ava";
import { container as root } from "tsyringe";
import { type CommandHandler, HANDLERS } from "../../../core/dispatch/command-handler.js";
import { HandlerRegistry } from "../../../core/dispatch/handler-registry.js";
import { Handles } from "../../../core/dispatch/handles.decorator.js";
import { registerHandlers } from "../../../core/dispatch/register-handlers.js";
import { ok } from "../../../core/dispatch/reply.js";
import { HandlerRegistrationError } from "../../../core/errors/boot-errors.js";
import { inject } from "../../../core/index.js";
import { Command } from "../../../core/protocol/index.js";

/** A handler class for `command`, built fresh so each test owns its metadata. */
function handlerFor(command: number, name = `Handler${command}`) {
  @Handles(command, { access: "public" })
  class H implements CommandHandler<Buffer> {
    handle() {
      return ok(name);
    }
  }
  Object.defineProperty(H, "name", { value: name });
  return H;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof HandlerRegistrationError) return error.code;
    throw error;
  }
  return undefined;
}

test("handlers are found by command, with their access and decoder", (t) => {
  const registry = new HandlerRegistry();
  const A = handlerFor(100);
  registry.add(new A());
  t.is(registry.get(100)?.name, "Handler100");
  t.is(registry.get(100)?.access, "public");
  t.is(registry.get(100)?.request, undefined);
  t.is(registry.get(101), undefined);
  t.deepEqual(registry.commands(), [100]);
});

test("access defaults to session", (t) => {
  @Handles(120)
  class Quiet implements CommandHandler<Buffer> {
    handle() {
      return undefined;
    }
  }
  const registry = new HandlerRegistry();
  registry.add(new Quiet());
  t.is(registry.get(120)?.access, "session");
});

test("a second handler for one command is rejected, naming both", (t) => {
  const registry = new HandlerRegistry();
  registry.add(new (handlerFor(150, "First"))());
  const error = t.throws(() => registry.add(new (handlerFor(150, "Second"))()), {
    instanceOf: HandlerRegistrationError,
  });
  t.is(error?.code, "MPUSH_ERR_DUPLICATE_HANDLER");
  t.regex(error?.message ?? "", /First.*Second/);
  t.is(registry.get(150)?.name, "First");
});

for (const command of [0, 255, 256, -1, 1.5, Number.NaN]) {
  test(`command ${command} is out of range`, (t) => {
    const H = handlerFor(command);
    t.is(
      codeOf(() => new HandlerRegistry().add(new H())),
      "MPUSH_ERR_COMMAND_RANGE",
    );
  });
}

for (const command of [25, 50, 99]) {
  test(`command ${command} is in the reserved core range and not a defined Command`, (t) => {
    const H = handlerFor(command);
    const error = t.throws(() => new HandlerRegistry().add(new H()), { instanceOf: HandlerRegistrationError });
    t.is(error?.code, "MPUSH_ERR_COMMAND_RANGE");
    t.regex(error?.message ?? "", /reserved for the core protocol/);
  });
}

test("the plugin range 100-254 and every defined core Command are accepted", (t) => {
  const registry = new HandlerRegistry();
  for (let command = 100; command <= 254; command++) registry.add(new (handlerFor(command))());
  for (const command of [Command.HEARTBEAT, Command.BIND, Command.PUSH, Command.ACK, Command.NACK]) {
    registry.add(new (handlerFor(command))());
  }
  t.is(registry.commands().length, 155 + 5);
  t.is(registry.get(254)?.command, 254);
});

test("a class without @Handles is rejected", (t) => {
  class Undeclared implements CommandHandler<Buffer> {
    handle() {
      return undefined;
    }
  }
  const error = t.throws(() => new HandlerRegistry().add(new Undeclared()), { instanceOf: HandlerRegistrationError });
  t.is(error?.code, "MPUSH_ERR_HANDLER_UNDECLARED");
  t.regex(error?.message ?? "", /Undeclared/);
});

test("a subclass does not inherit its parent's @Handles", (t) => {
  const Parent = handlerFor(130);
  class Child extends Parent {}
  t.is(
    codeOf(() => new HandlerRegistry().add(new Child())),
    "MPUSH_ERR_HANDLER_UNDECLARED",
  );
});

test("fromContainer builds the table from every class registered under HANDLERS", (t) => {
  const container = root.createChildContainer();
  registerHandlers(container, handlerFor(200), handlerFor(201));
  const registry = HandlerRegistry.fromContainer(container);
  t.deepEqual(registry.commands(), [200, 201]);
});

test("fromContainer with no handlers gives an empty table", (t) => {
  t.deepEqual(HandlerRegistry.fromContainer(root.createChildContainer()).commands(), []);
});

test("fromContainer reports a duplicate across plugins", (t) => {
  const container = root.createChildContainer();
  registerHandlers(container, handlerFor(210, "PluginA"), handlerFor(210, "PluginB"));
  t.is(
    codeOf(() => HandlerRegistry.fromContainer(container)),
    "MPUSH_ERR_DUPLICATE_HANDLER",
  );
});

test("a handler whose dependency cannot be resolved is a HandlerRegistrationError keeping the cause", (t) => {
  const MISSING = Symbol("test.Missing");
  @Handles(220)
  class NeedsMissing implements CommandHandler<Buffer> {
    constructor(@inject(MISSING) readonly missing: unknown) {}
    handle() {
      return undefined;
    }
  }
  const container = root.createChildContainer();
  registerHandlers(container, NeedsMissing);
  const error = t.throws(() => HandlerRegistry.fromContainer(container), { instanceOf: HandlerRegistrationError });
  t.is(error?.code, "MPUSH_ERR_HANDLER_RESOLVE");
  t.true(error?.cause instanceof Error);
  t.regex(String((error?.cause as Error | undefined)?.message), /test\.Missing/);
});

test("handlers get their dependencies from the server's container", (t) => {
  const GREETING = Symbol("test.Greeting");
  @Handles(230)
  class Greeter implements CommandHandler<Buffer> {
    constructor(@inject(GREETING) readonly greeting: string) {}
    handle() {
      return ok(this.greeting);
    }
  }
  const container = root.createChildContainer();
  container.registerInstance(GREETING, "hello");
  container.register(HANDLERS, { useClass: Greeter });
  const handler = HandlerRegistry.fromContainer(container).get(230)?.handler as Greeter;
  t.is(handler.greeting, "hello");
});

test("an access rule other than session or public is refused, since only session is enforced", (t) => {
  for (const access of ["Session", "", "private"]) {
    @Handles(150, { access: access as "session" })
    class Typo implements CommandHandler<Buffer> {
      handle() {
        return ok("open to anyone");
      }
    }
    t.is(
      codeOf(() => new HandlerRegistry().add(new Typo())),
      "MPUSH_ERR_HANDLER_ACCESS",
      JSON.stringify(access),
    );
  }
});

test("session commands are unreachable only when no handler establishes a session", (t) => {
  @Handles(121)
  class Gated implements CommandHandler<Buffer> {
    handle() {
      return ok();
    }
  }
  const registry = new HandlerRegistry();
  registry.add(new Gated());
  registry.add(new (handlerFor(122))());
  t.deepEqual(registry.unreachableSessionCommands(), [121]);
  for (const command of [Command.HANDSHAKE, Command.FAST_CONNECT]) {
    const withEntry = new HandlerRegistry();
    withEntry.add(new Gated());
    withEntry.add(new (handlerFor(command))());
    t.deepEqual(withEntry.unreachableSessionCommands(), [], `with command ${command}`);
  }
});
