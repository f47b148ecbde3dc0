/**
 * What 📈 Fleet shows, read once for the bot's photo and the Mini App's fleet page alike: the last 30 days of run
 * records made into days, the texts the chart carries in the admin's language, and the caption's last run.
 */
import {
  FLEET_CHART_DAYS,
  fleetHistory,
  fleetHistorySince,
  type FleetChartLabels,
  type FleetDay,
} from "../chart/fleet-history";
import type { HealthCheckRuns, RunRecord } from "../jobs/runs";
import type { Texts } from "./locales";

/** More than any 30 days hold (a daily run, plus what operators start by hand). */
const RUNS_READ_LIMIT = 400;

export interface FleetPicture {
  readonly days: FleetDay[];
  /** The newest run that finished, if any in the chart's days. */
  readonly lastRun?: RunRecord;
}

export async function readFleetPicture(
  runs: Pick<HealthCheckRuns, "recent">,
  now: Date,
): Promise<FleetPicture> {
  const records = await runs.recent({
    limit: RUNS_READ_LIMIT,
    since: fleetHistorySince(now, FLEET_CHART_DAYS),
    // The AdminBot's role reads items, never batches (infra/access.ts).
    read: "items",
  });
  const lastRun = records.find((r) => r.finishedAt);
  return { days: fleetHistory(records, now, FLEET_CHART_DAYS), ...(lastRun ? { lastRun } : {}) };
}

export function fleetChartLabels(t: Texts): FleetChartLabels {
  return {
    title: t.fleet.chartTitle,
    subtitle: t.fleet.chartSubtitle,
    statusName: { active: t.statusName.active, paused: t.statusName.paused, error: t.statusName.error },
    newlyFailed: t.fleet.newlyFailed,
    sessionsAxis: t.fleet.sessionsAxis,
  };
}
