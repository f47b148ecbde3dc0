/**
 * A month of health-check runs as the daily schedule leaves them (one finished run a day with the fleet it ended
 * with), for the 📈 Fleet chart's tests and the README's picture. Written through the real `recordFinished`, so the
 * chart reads exactly what a run writes.
 */
import type { HealthCheckRuns } from "../../lib/jobs/runs";
import { emptyCounts, type HealthCheckSummary } from "../../lib/jobs/summary";

export interface FleetRunDay {
  /** Days before today (0 = today). */
  readonly daysAgo: number;
  readonly active: number;
  readonly paused: number;
  readonly error: number;
  /** Newly failed in that day's run. */
  readonly failed?: number;
}

const DAY_MS = 86_400_000;

/** The run of `day` as `checkAll` or the schedule's summary describes it, started at 03:00 UTC that day. */
export function fleetRunSummary(
  now: Date,
  day: FleetRunDay,
  runId = `hc-fleet-${day.daysAgo}`,
): HealthCheckSummary {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - day.daysAgo * DAY_MS;
  const startedAt = new Date(midnight + 3 * 3_600_000);
  const failed = day.failed ?? 0;
  const checked = day.active + failed;
  return {
    runId,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + 95_000).toISOString(),
    queued: checked,
    notQueued: { floodWait: 0, leased: 0 },
    counts: { ...emptyCounts(), checked, healthy: day.active, failed },
    newlyFailed: [],
    failedByReason: failed > 0 ? { AUTH_KEY_UNREGISTERED: failed } : {},
    notChecked: [],
    fleet: { active: day.active, paused: day.paused, error: day.error, deleted: 0 },
  };
}

export async function seedFleetRuns(
  runs: HealthCheckRuns,
  now: Date,
  days: readonly FleetRunDay[],
): Promise<void> {
  for (const day of days) await runs.recordFinished(fleetRunSummary(now, day));
}

/**
 * A fleet of about 1,200 sessions over 30 days: it grows as logins are added, a few accounts die most days (more on
 * two bad days, when a batch of keys was revoked), errors are cleaned up weekly, some sessions are paused; the daily
 * run was missed on one day (the chart leaves it empty).
 */
export function realisticFleetMonth(): FleetRunDay[] {
  const out: FleetRunDay[] = [];
  let active = 1_080;
  let error = 14;
  for (let daysAgo = 29; daysAgo >= 0; daysAgo--) {
    const i = 29 - daysAgo;
    const failed = i === 9 ? 23 : i === 21 ? 11 : [0, 1, 2, 0, 3, 1, 0][i % 7]!;
    active += 6 + (i % 4) - failed;
    error += failed;
    // The weekly cleanup deletes the error sessions older than its cut-off.
    if (i % 7 === 6) error = Math.round(error * 0.35);
    if (i === 17) continue; // the day's run did not happen
    out.push({ daysAgo, active, paused: 40 + (i % 5) * 3 + (i > 20 ? 12 : 0), error, failed });
  }
  return out;
}
