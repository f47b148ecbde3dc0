/** The end of a run: one summary, sent by whoever sees the run complete (see `runs.ts` for why). */
import type { Logger } from "../log";
import type { SessionRepository } from "../sessions/repository";
import { countFleet, type JobMetrics } from "./metrics";
import type { HealthCheckRuns, RunRecord } from "./runs";
import { CLOSE_UNFINISHED_RUN_AFTER_MS } from "./scale";
import {
  countByReason,
  needsAttention,
  SUMMARY_LIST_LIMIT,
  type HealthCheckNotifier,
  type HealthCheckSummary,
} from "./summary";

export interface FinishDeps {
  readonly sessions: SessionRepository;
  readonly runs: HealthCheckRuns;
  readonly notify: HealthCheckNotifier;
  readonly logger: Logger;
  readonly metrics: JobMetrics;
  readonly now: () => Date;
}

/**
 * Sends the run's summary if the run is complete and nobody sent it yet; returns it to the one caller that did.
 * If the notifier fails, the claim is released and the error rethrown, so the caller's retry sends it.
 */
export async function finishRunIfComplete(
  deps: FinishDeps,
  runId: string,
): Promise<HealthCheckSummary | undefined> {
  const run = await deps.runs.claimSummary(runId);
  return run ? summarise(deps, run, false) : undefined;
}

/**
 * Closes the runs that started long enough before `now` and never ended (see `runs.ts`), sending each one's
 * summary marked unfinished. Returns the summaries sent.
 */
export async function closeUnfinishedRuns(deps: FinishDeps): Promise<HealthCheckSummary[]> {
  const before = new Date(deps.now().getTime() - CLOSE_UNFINISHED_RUN_AFTER_MS);
  const closed: HealthCheckSummary[] = [];
  for (const runId of await deps.runs.startedBefore(before, 3)) {
    const run = await deps.runs.claimSummary(runId, { unfinished: true });
    if (!run) continue;
    const complete = run.dispatchComplete && run.processed >= run.queued;
    if (!complete) deps.logger.warn("Health check run never finished; closing it as it stands", { runId });
    closed.push(await summarise(deps, run, !complete));
  }
  return closed;
}

async function summarise(deps: FinishDeps, run: RunRecord, unfinished: boolean): Promise<HealthCheckSummary> {
  const { runId } = run;
  let summary: HealthCheckSummary;
  let notify: boolean;
  try {
    // The counter item once (the fleet, 2FA, pending logouts), beside the restricted ones' index query.
    const [notes, fleetCounts, restricted] = await Promise.all([
      deps.runs.notes(runId),
      deps.sessions.fleetCounts(),
      deps.sessions.countActiveRestricted(),
    ]);
    const fleet = { ...fleetCounts.byStatus };
    const { activeWithoutTwoFa: withoutTwoFa, pendingRevocations: pendingLogouts } = fleetCounts;
    summary = {
      runId,
      startedAt: run.startedAt,
      finishedAt: deps.now().toISOString(),
      queued: run.queued,
      notQueued: { floodWait: run.notQueuedFloodWait, leased: run.notQueuedLeased },
      counts: {
        checked: run.checked,
        healthy: run.healthy,
        failed: run.failed,
        floodWaited: run.floodWaited,
        transient: run.transient,
        frozen: run.frozen ?? 0,
        skipped: run.skipped,
        gaveUp: run.gaveUp,
      },
      newlyFailed: notes.failed.slice(0, SUMMARY_LIST_LIMIT),
      failedByReason: countByReason(notes.failed),
      notChecked: notes.gaveUp.slice(0, SUMMARY_LIST_LIMIT),
      ...(notes.frozen.length > 0 ? { newlyFrozen: notes.frozen.slice(0, SUMMARY_LIST_LIMIT) } : {}),
      ...(notes.newLogins.length > 0 ? { newLogins: notes.newLogins.slice(0, SUMMARY_LIST_LIMIT) } : {}),
      withoutTwoFa,
      restricted,
      pendingLogouts,
      fleet,
      ...(unfinished
        ? {
            unfinished: {
              checksNotFinished: Math.max(0, run.queued - run.processed),
              dispatchStoppedEarly: !run.dispatchComplete,
            },
          }
        : {}),
    };
    countFleet(deps.metrics, fleet);
    notify = needsAttention(summary);
    deps.logger.info(unfinished ? "Health check run closed unfinished" : "Health check run finished", {
      runId,
      queued: summary.queued,
      notQueued: summary.notQueued,
      ...summary.counts,
      failedByReason: summary.failedByReason,
      newLogins: summary.newLogins?.length ?? 0,
      withoutTwoFa,
      restricted,
      pendingLogouts,
      ...(summary.unfinished ? { unfinished: summary.unfinished } : {}),
      fleet,
      notifyingAdmins: notify,
    });
    if (notify) await deps.notify(summary);
  } catch (err) {
    await deps.runs.releaseSummary(runId);
    throw err;
  }
  // Sent: from here the claim stays, whatever happens, or a retry would send the admins the summary again.
  try {
    await deps.runs.finish(runId, notify, summary.fleet);
  } catch (err) {
    deps.logger.warn("Health check summary sent, but the run could not be marked finished", {
      runId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
  return summary;
}
