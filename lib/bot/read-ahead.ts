/**
 * Reads started alongside the update's processed-once claim instead of after it. A screen that only shows what it
 * reads (a session card, a list page, the menu's counts) need not wait for the claim's round trip before its own
 * starts: the claim's middleware starts the read (`startEarly`), the feature takes it (`early`) once the claim holds.
 * Nothing is shown before that: a read for an update that is then not processed (a duplicate, an admin removed
 * meanwhile) is dropped unseen. A read has no side effect, so starting it early changes the wait, nothing else.
 */
import type { BotContext } from "./context";

/** What the claim's middleware may start for an update before claiming it (each feature says its own). */
export type ReadAhead = (ctx: BotContext) => void;

const started = new WeakMap<BotContext, Map<string, Promise<unknown>>>();

/** Starts `read` for this update under `key`; its failure waits for whoever takes it (or is dropped unseen). */
export function startEarly(ctx: BotContext, key: string, read: () => Promise<unknown>): void {
  let reads = started.get(ctx);
  if (!reads) started.set(ctx, (reads = new Map()));
  const promise = read();
  promise.catch(() => undefined);
  reads.set(key, promise);
}

/** The read started early under `key` (once: a second ask reads again), or `read` now. */
export function early<T>(ctx: BotContext, key: string, read: () => Promise<T>): Promise<T> {
  const reads = started.get(ctx);
  const promise = reads?.get(key) as Promise<T> | undefined;
  if (!promise) return read();
  reads!.delete(key);
  return promise;
}
