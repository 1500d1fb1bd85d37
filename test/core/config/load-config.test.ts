import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { DEFAULT_CONFIG } from "../../../core/config/config.js";
import { loadConfig, unknownVariables } from "../../../core/config/load-config.js";
import { redactUrl } from "../../../core/config/redact-url.js";
import { ConfigError } from "../../../core/errors/boot-errors.js";

/** A temp directory with `config.json` holding `content` (an object is JSON-encoded). */
function configFile(content: unknown, sub = ""): { dir: string; file: string } {
  const dir = join(mkdtempSync(join(tmpdir(), "mpush-config-")), sub);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "config.json");
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return { dir, file };
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error("expected a ConfigError");
}

test("with nothing given, the defaults", (t) => {
  const config = loadConfig({ env: {}, cwd: "/srv/app" });
  t.deepEqual({ ...config, keyFile: DEFAULT_CONFIG.keyFile }, DEFAULT_CONFIG);
  t.is(config.port, 3000);
  t.is(config.unknownCommand, "reply");
  t.is(config.keyFile, "/srv/app/.mpush/server.key", "the default key path is anchored at cwd");
});

test("the loaded config is a copy: changing it leaves the defaults alone", (t) => {
  const config = loadConfig({ env: {} });
  (config.heartbeat as { minMs: number }).minMs = 1;
  t.is(DEFAULT_CONFIG.heartbeat.minMs, 30_000);
});

test("a JSON file overrides the defaults, nested sections merge key by key", (t) => {
  const { file } = configFile({ port: 4000, heartbeat: { maxMissed: 5 }, session: { namespace: "prod" } });
  const config = loadConfig({ env: {}, file });
  t.is(config.port, 4000);
  t.is(config.heartbeat.maxMissed, 5);
  t.is(config.heartbeat.minMs, DEFAULT_CONFIG.heartbeat.minMs);
  t.is(config.session.namespace, "prod");
  t.is(config.session.store, "memory");
});

test("$MPUSH_CONFIG names the file when no file option is given", (t) => {
  const { file } = configFile({ port: 4100 });
  t.is(loadConfig({ env: { MPUSH_CONFIG: file } }).port, 4100);
});

test("a relative file path is resolved against cwd", (t) => {
  const { dir } = configFile({ port: 4200 });
  t.is(loadConfig({ env: {}, file: "config.json", cwd: dir }).port, 4200);
});

test("environment variables beat the file", (t) => {
  const { file } = configFile({ host: "10.0.0.1", port: 4000, heartbeat: { maxMissed: 5, minMs: 10_000 } });
  const config = loadConfig({
    env: {
      MPUSH_HOST: "127.0.0.1",
      MPUSH_PORT: "5000",
      MPUSH_HEARTBEAT_MAX_MISSED: "7",
      MPUSH_UNKNOWN_COMMAND: "close",
      MPUSH_SESSION_STORE: "redis://cache:6379",
      MPUSH_LOG_LEVEL: "warn",
    },
    file,
  });
  t.is(config.host, "127.0.0.1");
  t.is(config.port, 5000);
  t.is(config.heartbeat.maxMissed, 7);
  t.is(config.heartbeat.minMs, 10_000, "the file's other heartbeat keys stay");
  t.is(config.unknownCommand, "close");
  t.is(config.session.store, "redis://cache:6379");
  t.is(config.logLevel, "warn");
});

test("an empty environment variable is ignored", (t) => {
  t.is(loadConfig({ env: { MPUSH_PORT: "" } }).port, DEFAULT_CONFIG.port);
});

test("overrides beat the environment", (t) => {
  const config = loadConfig({
    env: { MPUSH_PORT: "5000", MPUSH_HEARTBEAT_MAX_MISSED: "7" },
    overrides: { port: 6000, heartbeat: { maxMissed: 9 } },
  });
  t.is(config.port, 6000);
  t.is(config.heartbeat.maxMissed, 9);
});

test("relative keyFile and plugin paths in a file are resolved against the file's directory", (t) => {
  const { dir, file } = configFile(
    {
      keyFile: "keys/server.key",
      plugins: ["./local-plugin.js", { use: "../shared/plugin.js", options: { a: 1 } }, "some-package", "/abs/p.js"],
    },
    "etc",
  );
  const config = loadConfig({ env: {}, file, cwd: "/elsewhere" });
  t.is(config.keyFile, join(dir, "keys/server.key"));
  t.deepEqual(config.plugins, [
    join(dir, "local-plugin.js"),
    { use: join(dir, "../shared/plugin.js"), options: { a: 1 } },
    "some-package",
    "/abs/p.js",
  ]);
});

test("relative paths from the environment and overrides are resolved against cwd", (t) => {
  const fromEnv = loadConfig({ env: { MPUSH_KEY_FILE: "k/server.key", MPUSH_PLUGINS: "./a.js, pkg" }, cwd: "/srv" });
  t.is(fromEnv.keyFile, "/srv/k/server.key");
  t.deepEqual(fromEnv.plugins, ["/srv/a.js", "pkg"]);
  const fromOverrides = loadConfig({ env: {}, overrides: { keyFile: "x.key", plugins: ["./b.js"] }, cwd: "/srv" });
  t.is(fromOverrides.keyFile, "/srv/x.key");
  t.deepEqual(fromOverrides.plugins, ["/srv/b.js"]);
});

test("unknown keys, top-level and nested, are each reported", (t) => {
  const { file } = configFile({ prot: 1, heartbeat: { maxMised: 2 }, session: { stor: "memory" } });
  const problems = problemsOf(() => loadConfig({ env: {}, file }));
  t.deepEqual(problems, [
    `prot: unknown setting (from ${file})`,
    `heartbeat.maxMised: unknown setting (from ${file})`,
    `session.stor: unknown setting (from ${file})`,
  ]);
});

test("every bad value is listed in one ConfigError", (t) => {
  const { file } = configFile({
    host: "",
    unknownCommand: "drop",
    maxBodyBytes: 0,
    heartbeat: { minMs: 200_000, maxMs: 100_000 },
    session: { store: "mongodb://x", namespace: "has space" },
    plugins: [""],
    logLevel: "loud",
  });
  const error = t.throws(() => loadConfig({ env: { MPUSH_PORT: "http" }, file }), { instanceOf: ConfigError });
  t.is(error?.code, "MPUSH_ERR_CONFIG");
  const problems = error?.problems ?? [];
  for (const expected of [
    /^host:/,
    /^port: expected an integer from 0 to 65535, got "http"/,
    /^maxBodyBytes:/,
    /^unknownCommand: expected "reply" or "close", got "drop"/,
    /^heartbeat\.minMs: must not exceed heartbeat\.maxMs/,
    /^session\.store:/,
    /^session\.namespace:/,
    /^plugins\[0\]:/,
    /^logLevel: expected one of .*, got "loud"/,
  ]) {
    t.true(
      problems.some((p) => expected.test(p)),
      `${expected} in ${JSON.stringify(problems)}`,
    );
  }
  t.is(problems.length, 9);
  for (const p of problems) t.true(error?.message.includes(p), "the message lists every problem");
});

test("ranges: port above 65535, a fractional number, a negative grace", (t) => {
  const problems = problemsOf(() =>
    loadConfig({ env: {}, overrides: { port: 70000, maxQueuedFrames: 1.5, heartbeat: { graceMs: -1 } } }),
  );
  t.deepEqual(
    problems.map((p) => p.split(":")[0]),
    ["port", "maxQueuedFrames", "heartbeat.graceMs"],
  );
});

for (const { name, variable, field, fallback } of [
  { name: "the record cache size", variable: "MPUSH_SESSION_CACHE_RECORDS", field: "cacheRecords", fallback: 100_000 },
  {
    name: "the in-process store's bound",
    variable: "MPUSH_SESSION_MEMORY_MAX_ENTRIES",
    field: "memoryMaxEntries",
    fallback: 1_000_000,
  },
] as const) {
  test(`${name}: ${fallback} by default, from the environment, 0 for none, a negative one refused`, (t) => {
    t.is(loadConfig({ env: {} }).session[field], fallback);
    t.is(loadConfig({ env: { [variable]: "5000" } }).session[field], 5000);
    t.is(loadConfig({ env: { [variable]: "0" } }).session[field], 0);
    const problems = problemsOf(() => loadConfig({ env: {}, overrides: { session: { [field]: -1 } } }));
    t.deepEqual(
      problems.map((p) => p.split(":")[0]),
      [`session.${field}`],
    );
  });
}

test("maxConnections: 0 (from the open-files limit) by default, set from the environment, a negative one refused", (t) => {
  t.is(loadConfig({ env: {} }).maxConnections, 0);
  t.is(loadConfig({ env: { MPUSH_MAX_CONNECTIONS: "50000" } }).maxConnections, 50_000);
  const problems = problemsOf(() => loadConfig({ env: { MPUSH_MAX_CONNECTIONS: "-5" } }));
  t.deepEqual(
    problems.map((p) => p.split(":")[0]),
    ["maxConnections"],
  );
});

test("session ttl above the max lifetime is refused", (t) => {
  const problems = problemsOf(() =>
    loadConfig({ env: {}, overrides: { session: { ttlMs: 10_000, maxLifetimeMs: 5_000 } } }),
  );
  t.deepEqual(problems, ["session.ttlMs: must not exceed session.maxLifetimeMs, got 10000 > 5000 (from overrides)"]);
});

test("accepted session stores: memory, redis, rediss, redis+cluster, rediss+cluster", (t) => {
  for (const store of [
    "memory",
    "redis://h:6379/2",
    "rediss://u:p@h:6380",
    "redis+cluster://a:7000,b:7001",
    "rediss+cluster://u:p@a:7000,b:7001",
  ]) {
    t.is(loadConfig({ env: {}, overrides: { session: { store } } }).session.store, store);
  }
});

test("store URLs the Redis client would choke on are config errors at boot, naming the store", (t) => {
  for (const [store, reason] of [
    ["redis://:pw@127.0.0.1:notaport", /not a valid URL/],
    ["redis://127.0.0.1:6391/zz", /the path must be a database number/],
    ["redis://u:pw@h1:6391,h2:6392", /not a valid URL/],
    ["redis://", /not a valid URL|no host/],
    ["redis+cluster://a:7000,b", /cluster node 2 of 2 is not host:port/],
    ["redis+cluster://a:7000,b:x", /cluster node 2 of 2 is not host:port/],
    ["redis+cluster://u:p@", /expected "memory", redis:\/\//],
  ] as const) {
    const problems = problemsOf(() => loadConfig({ env: { MPUSH_SESSION_STORE: store } }));
    t.is(problems.length, 1, store);
    t.regex(problems[0] ?? "", /^session\.store: /, store);
    t.regex(problems[0] ?? "", reason, store);
    t.notRegex(problems[0] ?? "", /pw|:p@/, "no password in the message");
  }
});

test("a refused store URL is quoted without its password", (t) => {
  const problems = problemsOf(() =>
    loadConfig({ env: {}, overrides: { session: { store: "reddis://admin:hunter2@cache:6379" } } }),
  );
  t.is(problems.length, 1);
  t.true(problems[0]?.includes('"reddis://***@cache:6379"'), problems[0]);
  t.false(problems.join("\n").includes("hunter2"));
});

test("a file that is missing, not JSON, or not an object is a ConfigError naming it", (t) => {
  const missing = join(tmpdir(), "mpush-no-such-dir", "config.json");
  t.regex(problemsOf(() => loadConfig({ env: {}, file: missing }))[0] ?? "", /mpush-no-such-dir/);
  const { file: broken } = configFile("{ port: ");
  t.regex(problemsOf(() => loadConfig({ env: {}, file: broken }))[0] ?? "", /config\.json: .*JSON/);
  const { file: list } = configFile([1, 2]);
  t.deepEqual(
    problemsOf(() => loadConfig({ env: {}, file: list })),
    [`${list}: must hold a JSON object`],
  );
});

test("a section given as a non-object is a ConfigError, not a crash", (t) => {
  for (const value of [null, 5, "fast", [1]]) {
    const { file } = configFile({ heartbeat: value, session: value });
    t.deepEqual(
      problemsOf(() => loadConfig({ env: {}, file })),
      [
        `heartbeat: expected an object, got ${JSON.stringify(value)} (from ${file})`,
        `session: expected an object, got ${JSON.stringify(value)} (from ${file})`,
      ],
    );
  }
});

test("redactUrl hides the whole user part, '/' and '@' in a password included", (t) => {
  t.is(redactUrl("redis+cluster://:s3cr/Et@pw==@127.0.0.1:16398"), "redis+cluster://***@127.0.0.1:16398");
  t.is(redactUrl("rediss://app:p/w@cache:6380/2"), "rediss://***@cache:6380/2");
  t.is(redactUrl("redis://cache:6379"), "redis://cache:6379");
  t.is(redactUrl("memory"), "memory");
  // Mistyped: no "//", or a line break in the password. Such a URL is quoted in the error refusing it.
  t.is(redactUrl("redis:/:s3cret@h:6379"), "redis:/***@h:6379");
  t.is(redactUrl("redis:s3cret@h:6379"), "redis:***@h:6379");
  t.is(redactUrl("redis//:s3cret@h:6379"), "redis//***@h:6379");
  t.is(redactUrl("s3cret@h:6379"), "***@h:6379");
  t.is(redactUrl("Hunter2pw//user@host"), "***@host");
  // The host forgotten: what stands where the port belongs is a password.
  t.is(redactUrl("redis://user:Hunter2pw"), "redis://***");
  t.is(redactUrl("rediss://:Hunter2pw/0"), "rediss://***");
  t.is(redactUrl("redis://cache:6379/0"), "redis://cache:6379/0");
  t.is(redactUrl("redis+cluster://h1:6379,h2:6380"), "redis+cluster://h1:6379,h2:6380");
  t.is(redactUrl("redis://cache:6379/0?password=Hunter2pw"), "redis://cache:6379/0?***");
  // Only hosts and a database number are shown after the credentials.
  t.is(redactUrl("redis://:s3c\nret@h:6379/x"), "redis://***@***");
});

test("text from the environment is trimmed: a key file path with a stray space is the same file", (t) => {
  const config = loadConfig({ env: { MPUSH_KEY_FILE: " /etc/mpush/server.key ", MPUSH_HOST: " 127.0.0.1" } });
  t.is(config.keyFile, "/etc/mpush/server.key");
  t.is(config.host, "127.0.0.1");
});

test("heartbeat bounds past what the handshake carries (uint32) are refused", (t) => {
  const problems = problemsOf(() => loadConfig({ env: { MPUSH_HEARTBEAT_MAX_MS: "4294968296" } }));
  t.true(
    problems.some((p) => p.startsWith("heartbeat.maxMs: expected an integer from 1000 to 4294967295")),
    problems.join("; "),
  );
});

test("a setting named like an Object.prototype member is an unknown setting, not a crash", (t) => {
  const { file } = configFile({ constructor: 1, toString: "x" });
  const problems = problemsOf(() => loadConfig({ env: {}, file }));
  t.deepEqual(problems.sort(), [
    `constructor: unknown setting (from ${file})`,
    `toString: unknown setting (from ${file})`,
  ]);
});

test("a plugin list from the environment that names nothing, or an empty key file path in a file, is refused", (t) => {
  const plugins = problemsOf(() => loadConfig({ env: { MPUSH_PLUGINS: " , " } }));
  t.deepEqual(plugins, ['plugins: expected a list of specifiers, got " , " (from MPUSH_PLUGINS)']);
  const { file } = configFile({ keyFile: "" });
  t.deepEqual(
    problemsOf(() => loadConfig({ env: {}, file })),
    [`keyFile: expected a file path (from ${file})`],
  );
});

test("handlerTimeoutMs: 30 s by default, set from the environment, 0 turns it off, past what a timer holds refused", (t) => {
  t.is(loadConfig({ env: {} }).handlerTimeoutMs, 30_000);
  t.is(loadConfig({ env: { MPUSH_HANDLER_TIMEOUT_MS: "2500" } }).handlerTimeoutMs, 2500);
  t.is(loadConfig({ env: { MPUSH_HANDLER_TIMEOUT_MS: "0" } }).handlerTimeoutMs, 0);
  for (const bad of ["-1", "2147483648"]) {
    const problems = problemsOf(() => loadConfig({ env: { MPUSH_HANDLER_TIMEOUT_MS: bad } }));
    t.deepEqual(
      problems.map((p) => p.split(":")[0]),
      ["handlerTimeoutMs"],
      bad,
    );
  }
});

test("each problem names the source of its value: the file, the variable, or the overrides", (t) => {
  const { file } = configFile({ maxBodyBytes: 0 });
  const problems = problemsOf(() =>
    loadConfig({ env: { MPUSH_PORT: "http" }, file, overrides: { heartbeat: { maxMissed: 0 } } }),
  );
  t.deepEqual(problems, [
    `port: expected an integer from 0 to 65535, got "http" (from MPUSH_PORT)`,
    `maxBodyBytes: expected an integer from 1 to 3741319167, got 0 (from ${file})`,
    "heartbeat.maxMissed: expected an integer from 1 to 100, got 0 (from overrides)",
  ]);
});

test("a bad value in the file is reported even when the environment overrides it", (t) => {
  const { file } = configFile({ port: "http", logLevel: "loud", heartbeat: { maxMs: 90_000 } });
  const problems = problemsOf(() =>
    loadConfig({ env: { MPUSH_PORT: "4000", MPUSH_LOG_LEVEL: "warn", MPUSH_HEARTBEAT_MAX_MS: "120000" }, file }),
  );
  t.deepEqual(problems, [
    `port: expected an integer from 0 to 65535, got "http" (from ${file}, overridden by MPUSH_PORT)`,
    `logLevel: expected one of fatal, error, warn, info, debug, trace, silent, got "loud" (from ${file}, overridden by MPUSH_LOG_LEVEL)`,
  ]);
  // Good values overridden are no problem.
  t.is(loadConfig({ env: { MPUSH_PORT: "4000" }, file: configFile({ port: 3500 }).file }).port, 4000);
});

test("settings that must agree name where each came from", (t) => {
  const { file } = configFile({ heartbeat: { minMs: 200_000 } });
  t.deepEqual(
    problemsOf(() => loadConfig({ env: {}, file })),
    [
      `heartbeat.minMs: must not exceed heartbeat.maxMs, got 200000 > 180000 (heartbeat.minMs from ${file}, heartbeat.maxMs from the default)`,
    ],
  );
  t.deepEqual(
    problemsOf(() =>
      loadConfig({ env: { MPUSH_SESSION_TTL_MS: "5000" }, overrides: { session: { maxLifetimeMs: 4000 } } }),
    ),
    [
      "session.ttlMs: must not exceed session.maxLifetimeMs, got 5000 > 4000 (session.ttlMs from MPUSH_SESSION_TTL_MS, session.maxLifetimeMs from overrides)",
    ],
  );
});

test("createKeyFile: on by default; MPUSH_CREATE_KEY_FILE takes true/false or 1/0, and nothing else", (t) => {
  t.true(loadConfig({ env: {} }).createKeyFile);
  for (const [raw, expected] of [
    ["false", false],
    [" FALSE ", false],
    ["0", false],
    ["true", true],
    ["1", true],
  ] as const) {
    t.is(loadConfig({ env: { MPUSH_CREATE_KEY_FILE: raw } }).createKeyFile, expected, raw);
  }
  t.deepEqual(
    problemsOf(() => loadConfig({ env: { MPUSH_CREATE_KEY_FILE: "no" } })),
    ['createKeyFile: expected true or false, got "no" (from MPUSH_CREATE_KEY_FILE)'],
  );
  t.deepEqual(
    problemsOf(() => loadConfig({ env: {}, overrides: { createKeyFile: "off" as unknown as boolean } })),
    ['createKeyFile: expected true or false, got "off" (from overrides)'],
  );
});

test("a setting given an object in the file and a value by a variable: the file's object is the problem", (t) => {
  const { file } = configFile({ port: { value: 3000 } });
  t.deepEqual(
    problemsOf(() => loadConfig({ env: { MPUSH_PORT: "4000" }, file })),
    [`port: expected an integer from 0 to 65535, got {"value":3000} (from ${file}, overridden by MPUSH_PORT)`],
  );
});

test("a section given a store URL by mistake is quoted without its password", (t) => {
  const { file } = configFile({ session: "redis://:s3cret@cache:6379" });
  const problems = problemsOf(() => loadConfig({ env: {}, file }));
  t.deepEqual(problems, [`session: expected an object, got "redis://***@cache:6379" (from ${file})`]);
});

test("a mistyped store URL in the file, overridden by a variable, is refused without its password", (t) => {
  const { file } = configFile({ session: { store: "redis:/:s3cret@cache:6379" } });
  const problems = problemsOf(() => loadConfig({ env: { MPUSH_SESSION_STORE: "redis://127.0.0.1:6379" }, file }));
  t.is(problems.length, 1);
  t.regex(
    problems[0] ?? "",
    /^session\.store: .*"redis:\/\*\*\*@cache:6379" \(from .*, overridden by MPUSH_SESSION_STORE\)$/,
  );
  t.false(problems.join("\n").includes("s3cret"));
});

test("maxErrorsBeforeSession: 4 by default, set from the environment, 0 turns it off, below 3 or negative refused", (t) => {
  t.is(loadConfig({ env: {} }).maxErrorsBeforeSession, 4);
  t.is(loadConfig({ env: { MPUSH_MAX_ERRORS_BEFORE_SESSION: "10" } }).maxErrorsBeforeSession, 10);
  t.is(loadConfig({ env: { MPUSH_MAX_ERRORS_BEFORE_SESSION: "0" } }).maxErrorsBeforeSession, 0);
  t.is(loadConfig({ env: { MPUSH_MAX_ERRORS_BEFORE_SESSION: "3" } }).maxErrorsBeforeSession, 3);
  for (const bad of ["-1", "1", "2"]) {
    t.deepEqual(
      problemsOf(() => loadConfig({ env: { MPUSH_MAX_ERRORS_BEFORE_SESSION: bad } })),
      [
        `maxErrorsBeforeSession: expected 0 (no limit) or an integer from 3 up, got ${bad} (from MPUSH_MAX_ERRORS_BEFORE_SESSION)`,
      ],
    );
  }
});

test("unknownVariables: MPUSH_* names the server does not read, with the nearest one it does", (t) => {
  t.deepEqual(
    unknownVariables({
      MPUSH_SESION_STORE: "redis://h:6379",
      MPUSH_PORT: "3000",
      MPUSH_CONFIG: "x.json",
      MPUSH_MY_PLUGIN_URL: "http://x",
      PATH: "/bin",
    }),
    [
      { name: "MPUSH_SESION_STORE", nearest: "MPUSH_SESSION_STORE" },
      { name: "MPUSH_MY_PLUGIN_URL", nearest: undefined },
    ],
  );
  t.deepEqual(unknownVariables({ MPUSH_LOG_LEVEL: "info" }), []);
});

test("unknownVariables suggests a name three edits away, none four edits away", (t) => {
  t.deepEqual(unknownVariables({ MPUSH_HOST_IP: "10.0.0.1", MPUSH_HOSTNAME: "node-1" }), [
    { name: "MPUSH_HOST_IP", nearest: "MPUSH_HOST" },
    { name: "MPUSH_HOSTNAME", nearest: undefined },
  ]);
});

test("settings that must agree may be equal", (t) => {
  const config = loadConfig({
    env: {},
    overrides: { heartbeat: { minMs: 60_000, maxMs: 60_000 }, session: { ttlMs: 3_600_000, maxLifetimeMs: 3_600_000 } },
  });
  t.is(config.heartbeat.minMs, config.heartbeat.maxMs);
  t.is(config.session.ttlMs, config.session.maxLifetimeMs);
});

test("a value that is not a number is one problem, not also a pair problem", (t) => {
  t.deepEqual(
    problemsOf(() => loadConfig({ env: { MPUSH_HEARTBEAT_MIN_MS: "soon" } })),
    ['heartbeat.minMs: expected an integer from 1000 to 4294967295, got "soon" (from MPUSH_HEARTBEAT_MIN_MS)'],
  );
});

test("each range's upper bound is itself accepted", (t) => {
  const config = loadConfig({
    env: {},
    overrides: {
      port: 65535,
      handlerTimeoutMs: 0x7fff_ffff,
      sweepIntervalMs: 60_000,
      heartbeat: { minMs: 0xffff_ffff, maxMs: 0xffff_ffff, maxMissed: 100 },
    },
  });
  t.deepEqual(
    [config.port, config.handlerTimeoutMs, config.sweepIntervalMs, config.heartbeat.maxMs, config.heartbeat.maxMissed],
    [65535, 0x7fff_ffff, 60_000, 0xffff_ffff, 100],
  );
});

test("redactUrl keeps every redis scheme that lost its colon", (t) => {
  t.is(redactUrl("rediss//:s3cret@h:6380"), "rediss//***@h:6380");
  t.is(redactUrl("redis+cluster//:s3cret@a:7000,b:7001"), "redis+cluster//***@a:7000,b:7001");
  t.is(redactUrl("rediss+cluster//u:s3cret@a:7000"), "rediss+cluster//***@a:7000");
});

test("a store URL whose host was forgotten is refused without the password standing in its place", (t) => {
  const problems = problemsOf(() => loadConfig({ env: { MPUSH_SESSION_STORE: "redis://user:Hunter2pw" } }));
  t.is(problems.length, 1);
  t.regex(problems[0] ?? "", /got "redis:\/\/\*\*\*" \(from MPUSH_SESSION_STORE\)$/);
  t.false(problems.join("\n").includes("Hunter2pw"));
});

test("a store URL with a query is refused (the Redis client would ignore it), and the query is not quoted", (t) => {
  const problems = problemsOf(() =>
    loadConfig({ env: { MPUSH_SESSION_STORE: "redis://cache:6379/0?password=Hunter2pw" } }),
  );
  t.deepEqual(problems, [
    'session.store: query parameters are not read: write user and password before the host, got "redis://cache:6379/0?***" (from MPUSH_SESSION_STORE)',
  ]);
});

test("redactUrl: no secret survives any shape, and the URLs the server logs stay readable", (t) => {
  const secret = "Hunter2pw";
  const leaking = [
    `redis://:${secret}@h:6379`,
    `redis://u:${secret}@[::1]:6379/3`,
    `redis+cluster://:hunter?${secret}@127.0.0.1:1,127.0.0.1:2`,
    `redis://:12/ab?${secret}@h`,
    `redis://:a,b?${secret}@h:6379`,
    `redis://u:p/a?${secret}@h:6379`,
    `redis://${secret}?x:pw@h`,
    `redis+cluster://u:${secret}`,
    `redis+cluster://h1:1,u:${secret}`,
    `redis://u:${secret},h:1`,
    `REDIS://:${secret}`,
    secret,
    ` redis://u:${secret} `,
    `redis://h:1#${secret}`,
    `redis://h:6379?password=${secret}`,
    `redis://:${secret}\n@h:1`,
    `redis//:${secret}@h`,
    `${secret}//user@host`,
    `redis://u:${secret}#frag`,
  ];
  for (const url of leaking) t.false(redactUrl(url).includes(secret), url);
  for (const url of [
    "memory",
    "redis://h:6379/2",
    "rediss://h:6380/0",
    "redis://[::1]:6379",
    "redis://[::1]:1/3",
    "redis+cluster://h1:1,h2:2",
    "redis+cluster://[::1]:1,[::2]:2",
    "redis://localhost:6379/15",
  ]) {
    t.is(redactUrl(url), url, url);
  }
  t.is(redactUrl("redis+cluster://u:p@h1:1,h2:2"), "redis+cluster://***@h1:1,h2:2");
  t.is(redactUrl("redis://u:p@[::1]:6379/3"), "redis://***@[::1]:6379/3");
});

test("no refused store URL is quoted with a secret in it", (t) => {
  const secret = "Hunter2pw";
  for (const store of [
    `redis+cluster://u:${secret}`,
    `redis+cluster://:pw:${secret}`,
    `redis://:${secret}#x@h`,
    `redis://:12/ab?${secret}@h`,
    `redis://h:1#${secret}`,
    `hunter-${secret}`,
  ]) {
    const problems = problemsOf(() => loadConfig({ env: { MPUSH_SESSION_STORE: store } }));
    t.is(problems.length, 1, store);
    t.false(problems.join("\n").includes(secret), `${store}: ${problems.join("; ")}`);
  }
});
