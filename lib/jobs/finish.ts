/** The end of a run: one summary, sent by whoever sees the run complete (see `runs.ts` for why). */
import type { Logger } from "../log";
import type { SessionRepository } from "../sessions/repository";
import { countFleet, type JobMetrics } from "./metrics";
import type { HealthCheckRuns } from "./runs";
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
  if (!run) return undefined;
  try {
    const [notes, fleet] = await Promise.all([deps.runs.notes(runId), deps.sessions.countByStatus()]);
    const summary: HealthCheckSummary = {
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
        skipped: run.skipped,
        gaveUp: run.gaveUp,
      },
      newlyFailed: notes.failed.slice(0, SUMMARY_LIST_LIMIT),
      failedByReason: countByReason(notes.failed),
      notChecked: notes.gaveUp.slice(0, SUMMARY_LIST_LIMIT),
      fleet,
    };
    countFleet(deps.metrics, fleet);
    const notify = needsAttention(summary);
    deps.logger.info("Health check run finished", {
      runId,
      queued: summary.queued,
      notQueued: summary.notQueued,
      ...summary.counts,
      failedByReason: summary.failedByReason,
      fleet,
      notifyingAdmins: notify,
    });
    if (notify) await deps.notify(summary);
    await deps.runs.finish(runId, notify);
    return summary;
  } catch (err) {
    await deps.runs.releaseSummary(runId);
    throw err;
  }
}
