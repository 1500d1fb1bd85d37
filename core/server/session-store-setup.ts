import type { Keyv } from "keyv";
import type { DependencyContainer } from "tsyringe";
import type { ServerConfig } from "../config/config.js";
import { redactUrl } from "../config/redact-url.js";
import type { Logger } from "../log/logger.js";
import { STORM_LOG_INTERVAL_MS, throttledLog, throttledWarn } from "../log/throttled-log.js";
import type { Clock } from "../runtime/clock.js";
import { type TimerWheel, WheelTimer } from "../runtime/timer-wheel.js";
import { ExpirySweeper } from "../session/expiry-sweeper.js";
import { connectEarly, createKeyv, disconnect, KEYV, KEYV_NAME } from "../session/keyv-factory.js";
import { KeyvSessionStore } from "../session/keyv-session-store.js";
import { SESSION_STORE, type SessionStore } from "../session/session-store.js";
import { storeRefusal } from "../session/store-errors.js";

/** Expired entries of the in-process store are dropped this often. */
const MEMORY_SWEEP_INTERVAL_MS = 60_000;
/** Entries visited per wheel tick: a few ms at most, so a million take about 20 ticks. */
const MEMORY_SWEEP_SLICE = 50_000;
/** Read at boot to see that the store answers; no session has it (ids are 24 base64url characters). */
const STORE_PROBE_ID = "boot-probe";

/**
 * Registers the session store a plugin did not provide: Keyv from the store URL, its error
 * reporting, the in-process sweep, and a boot probe for any store outside the process. Returns the
 * store's name as log lines give it: a URL without its password, or "a plugin's Keyv".
 */
export async function registerSessionStore(
  container: DependencyContainer,
  config: ServerConfig,
  log: Logger,
  wheel: TimerWheel,
  clock: Clock,
  onRelease: (release: () => Promise<void>) => void,
): Promise<string> {
  let name = redactUrl(config.session.store);
  /** What the store last said when it refused this node (a wrong password, …), which waiting does not end. */
  let refused: string | undefined;
  if (!container.isRegistered(KEYV, true)) {
    const keyv = createKeyv(config.session);
    const warn = throttledWarn(log, STORM_LOG_INTERVAL_MS);
    const refusedLog = throttledLog(log, "error", STORM_LOG_INTERVAL_MS);
    const store = name;
    keyv.on("error", (error: unknown) => {
      const refusal = storeRefusal(error);
      if (refusal === undefined) warn({ err: error, store }, "session store error");
      else {
        refused = refusal;
        refusedLog(
          { err: error, store, refusal },
          `session store refuses this node (${refusal}): fix the credentials or database in the store URL; this does not end by waiting`,
        );
      }
    });
    container.registerInstance(KEYV, keyv);
    onRelease(() => disconnect(keyv));
    await connectEarly(keyv);
    if (config.session.store === "memory") sweepEvery(keyv, MEMORY_SWEEP_INTERVAL_MS, wheel, clock, log);
  } else {
    name = "a plugin's Keyv";
    // Keyv swallows a store's errors by default: a failing store would read as an empty one, every
    // session as expired. Thrown, they are STORE_UNAVAILABLE, as for the server's own stores.
    const keyv = container.resolve<Keyv>(KEYV);
    if (!keyv.throwOnErrors) {
      keyv.throwOnErrors = true;
      log.info(
        "a plugin's Keyv session store now throws its errors (throwOnErrors), so a failing store is told apart from an empty one",
      );
    }
  }
  container.registerInstance(KEYV_NAME, name);
  if (!container.isRegistered(SESSION_STORE, true)) container.registerSingleton(SESSION_STORE, KeyvSessionStore);
  if (config.session.store !== "memory") await probe(container, name, log, () => refused);
  return name;
}

/**
 * One read at boot, so a store that cannot be used (down, a wrong or missing
 * password, a bad database) is said at once rather than at the first
 * client's request. The server starts either way: handshakes go on without
 * a resumable id until the store answers.
 */
async function probe(
  container: DependencyContainer,
  store: string,
  log: Logger,
  refusal: () => string | undefined,
): Promise<void> {
  try {
    await container.resolve<SessionStore>(SESSION_STORE).get(STORE_PROBE_ID);
    log.info({ store }, "session store answered");
  } catch (error) {
    const consequence = "handshakes go on without a resumable session, and FAST_CONNECT answers STORE_UNAVAILABLE";
    const refused = refusal();
    if (refused === undefined) {
      log.warn({ err: error, store }, `session store does not answer at boot: ${consequence}, until it does`);
    } else {
      log.warn(
        { err: error, store, refusal: refused },
        `session store refused this node at boot: ${consequence}, until it accepts this node`,
      );
    }
  }
}

/** One wheel timer for the whole store, not one per entry; a pass goes a slice per wheel tick. */
function sweepEvery(keyv: Keyv, intervalMs: number, wheel: TimerWheel, clock: Clock, log: Logger): void {
  const sweeper = ExpirySweeper.of(keyv, MEMORY_SWEEP_SLICE);
  if (sweeper === undefined) return;
  let removed = 0;
  const sweep = new WheelTimer((now) => {
    // Entries expire by the wall clock; the sweep's own rhythm is steady time.
    const step = sweeper.step(clock.now());
    removed += step.removed;
    if (!step.done) return now;
    if (removed > 0) log.debug({ removed }, "expired session store entries removed");
    removed = 0;
    return now + intervalMs;
  });
  wheel.schedule(sweep, clock.steady() + intervalMs);
}
