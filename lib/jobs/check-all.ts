/**
 * The health check in one process, without SQS: `sessions check --all` in the CLI and the local dev runner. Same
 * choice of sessions, same userbot call, same log lines and summary as the scheduled run; progress reported as it
 * goes. Nothing is sent to the admins: the operator is watching. Given `runs`, the finished run is written to the run
 * records like a scheduled one, so `sessions history` and the fleet chart show it.
 */
import { redactText, type Logger } from "../log";
import type { Phone } from "../sessions/phone";
import type { SessionRepository } from "../sessions/repository";
import type { CheckResult, UserbotService } from "../telegram/contract";
import { sessionsDueForCheck } from "./due";
import { createLimiter } from "./limit";
import { createDcPacer } from "./pacing";
import { runIdFor } from "./messages";
import { countFleet, noMetrics, type JobMetrics } from "./metrics";
import {
  CHECK_JITTER_MS,
  DEFAULT_CHECK_DEADLINE_MS,
  DEFAULT_WORKER_CONCURRENCY,
  PER_DC_CONCURRENCY,
} from "./scale";
import {
  countByReason,
  emptyCounts,
  frozenNote,
  newLoginsOf,
  outcomeOf,
  tally,
  type FrozenSessionNote,
  type HealthCheckSummary,
  type NewLoginNote,
  type RunOutcome,
  type SessionNeedingAttention,
} from "./summary";
import { reportCheck } from "./report";
import type { HealthCheckRuns } from "./runs";

export interface CheckAllDeps {
  readonly sessions: SessionRepository;
  readonly userbots: UserbotService;
  readonly logger: Logger;
  readonly metrics?: JobMetrics;
  readonly now: () => Date;
  /** Where the finished run is recorded (the run records of the scheduled health check). */
  readonly runs?: Pick<HealthCheckRuns, "recordFinished">;
}

export interface CheckProgress {
  /** Checks finished so far (this one included). */
  readonly done: number;
  /** Sessions due for a check in this run. */
  readonly total: number;
  readonly phone: Phone;
  readonly outcome: RunOutcome;
  /** Absent when the check itself broke (`outcome` "gaveUp"; the error is logged). */
  readonly result?: CheckResult;
}

export interface CheckAllOptions {
  /** Checks in flight at once. Default 10. */
  readonly concurrency?: number;
  /** The limit for one check. Default 20 s. */
  readonly deadlineMs?: number;
  /** Who runs it, for leases and the audit trail, e.g. "cli:alice". Default "health-check:<run id>". */
  readonly actor?: string;
  readonly onProgress?: (progress: CheckProgress) => void;
}

export async function checkAll(
  deps: CheckAllDeps,
  options: CheckAllOptions = {},
): Promise<HealthCheckSummary> {
  const metrics = deps.metrics ?? noMetrics;
  const startedAt = deps.now();
  const runId = runIdFor(undefined, startedAt);
  const actor = options.actor ?? `health-check:${runId}`;
  const due: Phone[] = [];
  const dcOf = new Map<Phone, number>();
  const notQueued = { floodWait: 0, leased: 0 };
  for await (const page of sessionsDueForCheck(deps.sessions, deps.now)) {
    due.push(...page.due);
    for (const [phone, dc] of page.dcOf) dcOf.set(phone, dc);
    notQueued.floodWait += page.floodWait;
    notQueued.leased += page.leased;
  }
  deps.logger.info("Health check started", { runId, due: due.length, notQueued });

  const counts = emptyCounts();
  const failed: SessionNeedingAttention[] = [];
  const notChecked: SessionNeedingAttention[] = [];
  const frozen: FrozenSessionNote[] = [];
  const newLogins: NewLoginNote[] = [];
  const limit = createLimiter(options.concurrency ?? DEFAULT_WORKER_CONCURRENCY);
  // The same pacing as the deployed workers: a slot at the session's data centre, after a random start delay.
  const pace = createDcPacer({ perDc: PER_DC_CONCURRENCY, jitterMs: CHECK_JITTER_MS });
  let done = 0;
  await Promise.all(
    due.map((phone) =>
      pace(dcOf.get(phone), () =>
        limit(async () => {
          let result: CheckResult;
          try {
            result = await deps.userbots.checkSession(phone, {
              deadlineMs: options.deadlineMs ?? DEFAULT_CHECK_DEADLINE_MS,
              actor,
            });
          } catch (err) {
            // One session's unexpected error must not stop the check of the others.
            const reason = redactText(err instanceof Error ? err.message : String(err));
            deps.logger.error("Session check could not be completed", { phone, error: reason });
            tally(counts, "gaveUp");
            notChecked.push({ phone, code: "CHECK_ERROR", reason });
            done += 1;
            options.onProgress?.({ done, total: due.length, phone, outcome: "gaveUp" });
            return;
          }
          reportCheck({ logger: deps.logger, metrics }, runId, result);
          tally(counts, outcomeOf(result));
          if (result.outcome === "failed") {
            failed.push({ phone, code: result.failure.code, reason: result.failure.message });
          }
          if (result.outcome === "frozen" && result.newlyFrozen)
            frozen.push(frozenNote(phone, result.freeze));
          newLogins.push(...newLoginsOf(result));
          done += 1;
          options.onProgress?.({ done, total: due.length, phone, outcome: outcomeOf(result), result });
        }),
      ),
    ),
  );

  // The counter item once (the fleet, 2FA, pending logouts), beside the restricted ones' index query.
  const [fleetCounts, restricted] = await Promise.all([
    deps.sessions.fleetCounts(),
    deps.sessions.countActiveRestricted(),
  ]);
  const fleet = { ...fleetCounts.byStatus };
  const { activeWithoutTwoFa: withoutTwoFa, pendingRevocations: pendingLogouts } = fleetCounts;
  countFleet(metrics, fleet);
  const summary: HealthCheckSummary = {
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: deps.now().toISOString(),
    queued: due.length,
    notQueued,
    counts,
    // All of them: an operator's terminal has room, unlike a Telegram message.
    newlyFailed: failed,
    failedByReason: countByReason(failed),
    notChecked,
    ...(frozen.length > 0 ? { newlyFrozen: frozen } : {}),
    ...(newLogins.length > 0 ? { newLogins } : {}),
    withoutTwoFa,
    restricted,
    pendingLogouts,
    fleet,
  };
  deps.logger.info("Health check finished", {
    runId,
    ...counts,
    failedByReason: summary.failedByReason,
    newLogins: newLogins.length,
    withoutTwoFa,
    restricted,
    pendingLogouts,
    fleet,
  });
  if (deps.runs) {
    try {
      await deps.runs.recordFinished(summary);
    } catch (err) {
      // The checks are done and recorded on each session; only the history line is missing.
      deps.logger.warn("Health check finished, but its run record could not be written", {
        runId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return summary;
}
