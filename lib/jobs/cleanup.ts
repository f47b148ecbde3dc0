/**
 * The weekly cleanup (SEED.md "Auto-cleanup"), in two parts:
 *
 *   1. Pending logouts first: every deleted session whose key's logout at Telegram was not confirmed (found on the
 *      sparse `byRevocation` index, no scan) is tried again under its lease. Confirmed (logged out, or Telegram
 *      already refuses the key): the ciphertext is destroyed. Still not confirmed at or after its give-up date: the
 *      ciphertext is destroyed anyway and the audit says the logout was never confirmed. Otherwise it waits for the
 *      next run. The old keys of phones logged in again or imported over whose logout was not confirmed (their own
 *      items, their own partition of the same index) are retried the same way: settled or given up, the item and its
 *      ciphertext are deleted.
 *   2. Sessions in `error` whose `updatedAt` is older than the cut-off (the `byStatus` key condition, oldest first)
 *      are deleted the way every delete is (lib/telegram's deleteSession): under the session's lease, still an old
 *      error as leased (one logged in again meanwhile survives), its key logged out at Telegram first, the tombstone
 *      and its audit entry in one transaction. An error session's key is usually dead already: that counts as
 *      revoked at once, with no retry loop.
 *
 * Every write stands alone, so a run cut short (the Lambda's time, a throttle) loses nothing: the next run continues.
 */
import type { Logger } from "../log";
import type { Phone } from "../sessions/phone";
import type { SessionRepository } from "../sessions/repository";
import { LeaseHeldError, StaleVersionError } from "../sessions/errors";
import { RevocationSettledError, type RevocationState } from "../sessions/revocation";
import type { SessionStatus } from "../sessions/session";
import type { AuditLog } from "../bot-state/audit";
import type { CleanupLog } from "./cleanup-log";
import type { RevocationOutcome, UserbotService } from "../telegram/contract";
import { createLimiter } from "./limit";
import { countFleet, type JobMetrics } from "./metrics";
import { CLEANUP_DELETE_CONCURRENCY, CLEANUP_PAGE_SIZE, DEFAULT_CHECK_DEADLINE_MS } from "./scale";

export const DEFAULT_CLEANUP_AFTER_DAYS = 30;

/** Below this much time left a logout is not started: it is left for the next run. */
const RESERVE_MS = 15_000;

export interface CleanupDeps {
  readonly sessions: SessionRepository;
  readonly audit: AuditLog;
  /** Logs keys out at Telegram: the delete of an old error, the retry of a pending logout. */
  readonly userbots: Pick<UserbotService, "deleteSession" | "retryRevocation" | "retryReplacedKey">;
  readonly logger: Logger;
  readonly metrics: JobMetrics;
  readonly now: () => Date;
  /** Where a cleanup that deleted for real is recorded, for `sessions history`. */
  readonly cleanups?: Pick<CleanupLog, "record">;
}

export interface CleanupOptions {
  /** Error sessions not updated for this many days are deleted. Default 30. */
  readonly olderThanDays?: number;
  /** List what would be deleted (and which logouts retried), change nothing, never call Telegram. */
  readonly dryRun?: boolean;
  /** Who runs it, for the audit trail and the lease: "schedule:cleanup" (default), "cli:<user>". */
  readonly actor?: string;
  /** Only the pending logouts (part 1): `sessions revoke-pending`. */
  readonly onlyPendingLogouts?: boolean;
  /** Limit of one logout at Telegram, in ms. Default DEFAULT_CHECK_DEADLINE_MS. */
  readonly deadlineMs?: number;
  /** Time left for the whole run (the Lambda's); below the deadline plus a reserve, nothing new is started. */
  readonly remainingTimeMs?: () => number;
}

export interface CleanupResult {
  readonly dryRun: boolean;
  /** Sessions whose `updatedAt` is before this were candidates. */
  readonly cutoff: string;
  /** Deleted (or, in a dry run, those that would be), with what became of the key (none in a dry run). */
  readonly deleted: readonly {
    readonly phone: Phone;
    readonly lastError?: string;
    readonly updatedAt: string;
    readonly revocation?: RevocationOutcome["outcome"];
    /** When the logout is pending: until when it is retried. */
    readonly retryUntil?: string;
  }[];
  /** Listed as old errors but changed before the delete (logged in again, in use, deleted by someone else): kept. */
  readonly kept: readonly Phone[];
  /** The pending logouts tried again (or, in a dry run, that would be), and where each one ended. */
  readonly logouts: readonly {
    readonly phone: Phone;
    /** The old key of a phone logged in again or imported over (its session is not deleted). */
    readonly previousKey?: true;
    /** After the retry: logged-out / already-dead (destroyed), unconfirmed (given up, destroyed), pending. */
    readonly state?: RevocationState;
    readonly giveUpAt?: string;
  }[];
  /** Not started for lack of time (the Lambda's): the next run does them. */
  readonly leftForNextRun: number;
  /** The fleet per status after the cleanup. */
  readonly fleet: Record<SessionStatus, number>;
}

export async function runCleanup(deps: CleanupDeps, options: CleanupOptions = {}): Promise<CleanupResult> {
  const days = options.olderThanDays ?? DEFAULT_CLEANUP_AFTER_DAYS;
  if (!Number.isInteger(days) || days < 1) {
    throw new RangeError(`The cleanup age must be a whole number of days, at least 1 (got ${days}).`);
  }
  const dryRun = options.dryRun ?? false;
  const startedAt = deps.now().toISOString();
  const actor = options.actor ?? "schedule:cleanup";
  const deadlineMs = options.deadlineMs ?? DEFAULT_CHECK_DEADLINE_MS;
  const cutoff = new Date(deps.now().getTime() - days * 86_400_000);
  const deleted: CleanupResult["deleted"][number][] = [];
  const kept: Phone[] = [];
  const logouts: CleanupResult["logouts"][number][] = [];
  let leftForNextRun = 0;
  const limit = createLimiter(CLEANUP_DELETE_CONCURRENCY);
  const timeLeft = () =>
    !options.remainingTimeMs || options.remainingTimeMs() > deadlineMs + RESERVE_MS ? true : false;

  deps.logger.info(dryRun ? "Cleanup dry run started" : "Cleanup started", {
    cutoff: cutoff.toISOString(),
    olderThanDays: days,
  });

  // 1. The pending logouts. A retry that settles one moves it off the index, so each page is read from the start
  // of what is left only in a dry run; a real run follows the cursor (a row still pending stays behind it).
  let cursor: string | undefined;
  do {
    const page = await deps.sessions.listPendingRevocations({
      limit: CLEANUP_PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    });
    await Promise.all(
      page.items.map((tombstone) =>
        limit(async () => {
          const giveUpAt =
            tombstone.revocation?.state === "pending" ? tombstone.revocation.giveUpAt : undefined;
          if (dryRun) {
            logouts.push({ phone: tombstone.phone, ...(giveUpAt ? { giveUpAt } : {}) });
            return;
          }
          if (!timeLeft()) {
            leftForNextRun++;
            return;
          }
          try {
            const { session } = await deps.userbots.retryRevocation(tombstone.phone, { deadlineMs, actor });
            const r = session.revocation;
            logouts.push({
              phone: tombstone.phone,
              ...(r ? { state: r.state } : {}),
              ...(r?.state === "pending" ? { giveUpAt: r.giveUpAt } : {}),
            });
          } catch (err) {
            // Settled or changed by someone else meanwhile, or in use right now: nothing to do in this run.
            if (
              err instanceof RevocationSettledError ||
              err instanceof StaleVersionError ||
              err instanceof LeaseHeldError
            ) {
              deps.logger.info("Pending logout not retried in this run", {
                phone: tombstone.phone,
                reason: err.name,
              });
              return;
            }
            throw err;
          }
        }),
      ),
    );
    cursor = page.cursor;
  } while (cursor);

  // 1b. The replaced keys whose logout is pending: the same, on their own items.
  cursor = undefined;
  do {
    const page = await deps.sessions.listPendingReplacedKeys({
      limit: CLEANUP_PAGE_SIZE,
      ...(cursor ? { cursor } : {}),
    });
    await Promise.all(
      page.items.map((key) =>
        limit(async () => {
          if (dryRun) {
            logouts.push({ phone: key.phone, previousKey: true, giveUpAt: key.revocation.giveUpAt });
            return;
          }
          if (!timeLeft()) {
            leftForNextRun++;
            return;
          }
          try {
            const { state } = await deps.userbots.retryReplacedKey(key, { deadlineMs, actor });
            logouts.push({
              phone: key.phone,
              previousKey: true,
              state: state.state,
              ...(state.state === "pending" ? { giveUpAt: state.giveUpAt } : {}),
            });
          } catch (err) {
            if (!(err instanceof RevocationSettledError)) throw err;
            // Settled or counted by another retry meanwhile.
            deps.logger.info("Replaced key's logout not retried in this run", { phone: key.phone });
          }
        }),
      ),
    );
    cursor = page.cursor;
  } while (cursor);

  // 2. The old error sessions.
  if (!options.onlyPendingLogouts) {
    cursor = undefined;
    do {
      const page = await deps.sessions.listErrorsUpdatedBefore(cutoff, {
        limit: CLEANUP_PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      await Promise.all(
        page.items.map((session) =>
          limit(async () => {
            const entry = {
              phone: session.phone,
              updatedAt: session.updatedAt,
              ...(session.lastError !== undefined ? { lastError: session.lastError } : {}),
            };
            if (dryRun) {
              deps.logger.info("Would delete old error session", {
                phone: session.phone,
                updatedAt: session.updatedAt,
              });
              deleted.push(entry);
              return;
            }
            if (!timeLeft()) {
              leftForNextRun++;
              return;
            }
            try {
              // The audit entry is written in the same transaction as the delete: a deletion is never unrecorded.
              const result = await deps.userbots.deleteSession(session.phone, {
                deadlineMs,
                actor,
                only: (s) => s.status === "error" && s.updatedAt < cutoff.toISOString(),
                audit: {
                  action: "cleanup.deleted",
                  actor,
                  detail: `in error since ${session.updatedAt} (older than ${days} days)${session.lastErrorCode ? `: ${session.lastErrorCode}` : ""}`,
                },
              });
              if (result.outcome === "kept") {
                deps.logger.info("Old error session changed meanwhile; kept", { phone: session.phone });
                kept.push(session.phone);
                return;
              }
              const r = result.session.revocation;
              deleted.push({
                ...entry,
                revocation: result.revocation.outcome,
                ...(r?.state === "pending" ? { retryUntil: r.giveUpAt } : {}),
              });
            } catch (err) {
              if (err instanceof StaleVersionError || err instanceof LeaseHeldError) {
                deps.logger.info("Old error session changed or in use meanwhile; kept", {
                  phone: session.phone,
                  reason: err.name,
                });
                kept.push(session.phone);
                return;
              }
              throw err;
            }
          }),
        ),
      );
      cursor = page.cursor;
    } while (cursor);
  }

  if (!dryRun) {
    deps.metrics.count("SessionsDeletedByCleanup", deleted.length);
    const pending = deleted.filter((d) => d.revocation === "not-confirmed").length;
    deps.metrics.count("LogoutsPending", pending + logouts.filter((l) => l.state === "pending").length);
    deps.metrics.count("LogoutsGivenUp", logouts.filter((l) => l.state === "unconfirmed").length);
  }
  const fleet = await deps.sessions.countByStatus();
  countFleet(deps.metrics, fleet);
  deps.logger.info(dryRun ? "Cleanup dry run finished" : "Cleanup finished", {
    cutoff: cutoff.toISOString(),
    [dryRun ? "wouldDelete" : "deleted"]: deleted.length,
    kept: kept.length,
    logoutsRetried: logouts.length,
    leftForNextRun,
    fleet,
  });
  if (!dryRun && deps.cleanups && !options.onlyPendingLogouts) {
    try {
      await deps.cleanups.record({
        startedAt,
        finishedAt: deps.now().toISOString(),
        actor,
        olderThanDays: days,
        deleted: deleted.length,
        kept: kept.length,
        fleet,
      });
    } catch (err) {
      // The deletions are done and each is in the audit trail; only the history line is missing.
      deps.logger.warn("Cleanup finished, but its record could not be written", {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return { dryRun, cutoff: cutoff.toISOString(), deleted, kept, logouts, leftForNextRun, fleet };
}
