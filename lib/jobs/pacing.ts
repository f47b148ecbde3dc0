/**
 * Telegram-friendly pacing of the health check's connections: at most `perDc` checks connecting to one data centre
 * at a time (per worker invocation; with the event source's maximum concurrency that bounds the whole fleet's
 * connections to one data centre), and a random start delay of up to `jitterMs` so that a batch's handshakes do not
 * all hit Telegram in the same millisecond. Sessions whose data centre is not known yet (never checked since rows
 * recorded it) share one bucket of their own.
 *
 * Flood waits are honoured before this: a session in one is never queued (lib/jobs/due.ts) and never connected
 * (the userbot layer refuses it); a new one found by a check is kept on the row until it ends.
 */
import { createLimiter } from "./limit";

export interface PacingOptions {
  /** Checks connecting to one data centre at once. */
  readonly perDc: number;
  /** Upper bound of the random delay before each check starts, in ms (0: none). */
  readonly jitterMs: number;
  /** 0 ≤ x < 1; `Math.random` unless a test fixes it. */
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type DcPacer = <T>(dcId: number | undefined, fn: () => Promise<T>) => Promise<T>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createDcPacer(options: PacingOptions): DcPacer {
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const limiters = new Map<string, ReturnType<typeof createLimiter>>();
  const limiterFor = (dcId: number | undefined) => {
    const key = dcId === undefined ? "unknown" : String(dcId);
    let limiter = limiters.get(key);
    if (!limiter) limiters.set(key, (limiter = createLimiter(options.perDc)));
    return limiter;
  };
  return async (dcId, fn) => {
    const delay = Math.floor(random() * Math.max(0, options.jitterMs));
    if (delay > 0) await sleep(delay);
    return limiterFor(dcId)(fn);
  };
}
