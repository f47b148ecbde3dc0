/**
 * The weekly cleanup (SEED.md "Auto-cleanup"): sessions in `error` whose `updatedAt` is older than the cut-off are
 * deleted. Found through the `byStatus` key condition (no scan), page by page, oldest first; each delete is
 * conditional on the row still being an old error, so a session logged in again between the list and the delete
 * survives. The repository logs "Deleted old error session" with the phone; each delete is also in the audit trail.
 *
 * Not done here (a note for later): revoking the key at Telegram (auth.logOut) before deleting. An error session's
 * key is almost always dead already (that is why it is in error); revoking would need the userbot layer's lease
 * and a `revokedAt` mark so a retried run does not revoke twice (notes/reliability-security.md §5.3).
 */
import type { Logger } from "../log";
import type { Phone } from "../sessions/phone";
import type { SessionRepository } from "../sessions/repository";
import type { SessionStatus } from "../sessions/session";
import type { AuditLog } from "../bot-state/audit";
import type { CleanupLog } from "./cleanup-log";
import { createLimiter } from "./limit";
import { countFleet, type JobMetrics } from "./metrics";
import { CLEANUP_DELETE_CONCURRENCY, CLEANUP_PAGE_SIZE } from "./scale";

export const DEFAULT_CLEANUP_AFTER_DAYS = 30;

export interface CleanupDeps {
  readonly sessions: SessionRepository;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly metrics: JobMetrics;
  readonly now: () => Date;
  /** Where a cleanup that deleted for real is recorded, for `sessions history`. */
  readonly cleanups?: Pick<CleanupLog, "record">;
}

export interface CleanupOptions {
  /** Error sessions not updated for this many days are deleted. Default 30. */
  readonly olderThanDays?: number;
  /** List what would be deleted, delete nothing. */
  readonly dryRun?: boolean;
  /** Who runs it, for the audit trail: "schedule:cleanup" (default), "cli:<user>". */
  readonly actor?: string;
}

export interface CleanupResult {
  readonly dryRun: boolean;
  /** Sessions whose `updatedAt` is before this were candidates. */
  readonly cutoff: string;
  /** Deleted (or, in a dry run, those that would be). */
  readonly deleted: readonly {
    readonly phone: Phone;
    readonly lastError?: string;
    readonly updatedAt: string;
  }[];
  /** Listed as old errors but changed before the delete (logged in again, or deleted by someone else): kept. */
  readonly kept: readonly Phone[];
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
  const cutoff = new Date(deps.now().getTime() - days * 86_400_000);
  const deleted: CleanupResult["deleted"][number][] = [];
  const kept: Phone[] = [];
  const limit = createLimiter(CLEANUP_DELETE_CONCURRENCY);

  deps.logger.info(dryRun ? "Cleanup dry run started" : "Cleanup started", {
    cutoff: cutoff.toISOString(),
    olderThanDays: days,
  });
  let cursor: string | undefined;
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
          // The audit entry is written in the same transaction as the delete: a deletion is never unrecorded.
          const { put } = deps.audit.prepare({
            action: "cleanup.deleted",
            actor,
            phone: session.phone,
            detail: `in error since ${session.updatedAt} (older than ${days} days)${session.lastErrorCode ? `: ${session.lastErrorCode}` : ""}`,
          });
          if (!(await deps.sessions.deleteIfOldError(session.phone, cutoff, { alsoPut: put }))) {
            deps.logger.info("Old error session changed meanwhile; kept", { phone: session.phone });
            kept.push(session.phone);
            return;
          }
          deleted.push(entry);
        }),
      ),
    );
    cursor = page.cursor;
  } while (cursor);

  if (!dryRun) deps.metrics.count("SessionsDeletedByCleanup", deleted.length);
  const fleet = await deps.sessions.countByStatus();
  countFleet(deps.metrics, fleet);
  deps.logger.info(dryRun ? "Cleanup dry run finished" : "Cleanup finished", {
    cutoff: cutoff.toISOString(),
    [dryRun ? "wouldDelete" : "deleted"]: deleted.length,
    kept: kept.length,
    fleet,
  });
  if (!dryRun && deps.cleanups) {
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
  return { dryRun, cutoff: cutoff.toISOString(), deleted, kept, fleet };
}
