/**
 * The fleet's history by day, from the health-check run records (lib/jobs/runs.ts): what the 📈 Fleet chart of the
 * AdminBot and the Mini App's fleet page draw. Pure and small: it imports no chart library, so the bot can ask
 * "is there anything to draw?" before it loads one.
 *
 * A day's fleet is the fleet as the last run of that day (UTC) ended with it; its newly failed are those of every run
 * that day added up (a local `sessions check --all` beside the scheduled run counts too). A day without a finished
 * run that recorded its fleet has no fleet: the chart leaves its column empty rather than invent one.
 */
import type { HealthCheckRuns, RunRecord } from "../jobs/runs";
import type { SessionStatus } from "../sessions/session";

/** The statuses the chart stacks, bottom first. Deleted tombstones are not part of the fleet an operator runs. */
export const CHARTED_STATUSES = ["active", "paused", "error"] as const satisfies readonly SessionStatus[];
export type ChartedStatus = (typeof CHARTED_STATUSES)[number];

/** One colour per status, the same in the bot's PNG, the Mini App's page and the README. */
export const STATUS_COLOURS: Readonly<Record<ChartedStatus, string>> = {
  active: "#2e9d4b",
  paused: "#8e99a8",
  error: "#d93025",
};

/** How many days the chart shows, today included. */
export const FLEET_CHART_DAYS = 30;

export interface FleetDay {
  /** The UTC day, `yyyy-mm-dd`. */
  readonly date: string;
  /** The fleet per status as the day's last run ended; absent when no run of that day recorded it. */
  readonly fleet?: Readonly<Record<ChartedStatus, number>>;
  /** Sessions marked `error` by that day's runs (0 on a day without runs). */
  readonly newlyFailed: number;
  /** How many runs started that day. */
  readonly runs: number;
}

const DAY_MS = 86_400_000;

/** The first instant of the oldest day the chart shows, for reading only the runs it needs. */
export function fleetHistorySince(now: Date, days = FLEET_CHART_DAYS): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - (days - 1) * DAY_MS);
}

/** `days` days ending today (UTC), oldest first, each with what the runs of that day recorded. */
export function fleetHistory(runs: readonly RunRecord[], now: Date, days = FLEET_CHART_DAYS): FleetDay[] {
  const since = fleetHistorySince(now, days).getTime();
  const byDay = new Map<string, RunRecord[]>();
  for (const run of runs) {
    const day = run.startedAt.slice(0, 10);
    const list = byDay.get(day) ?? [];
    list.push(run);
    byDay.set(day, list);
  }
  const out: FleetDay[] = [];
  for (let i = 0; i < days; i++) {
    const date = new Date(since + i * DAY_MS).toISOString().slice(0, 10);
    const dayRuns = (byDay.get(date) ?? []).slice().sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const last = dayRuns.filter((r) => r.fleet && r.finishedAt).at(-1);
    out.push({
      date,
      ...(last?.fleet
        ? {
            fleet: {
              active: last.fleet.active ?? 0,
              paused: last.fleet.paused ?? 0,
              error: last.fleet.error ?? 0,
            },
          }
        : {}),
      newlyFailed: dayRuns.reduce((sum, r) => sum + (r.failed ?? 0), 0),
      runs: dayRuns.length,
    });
  }
  return out;
}

/** True when at least one day has a fleet to draw. */
export function hasFleetData(days: readonly FleetDay[]): boolean {
  return days.some((d) => d.fleet !== undefined);
}

/** The texts on the chart, in the admin's language. Plain text (no HTML, no emoji: the PNG's font has none). */
export interface FleetChartLabels {
  readonly title: string;
  readonly statusName: Readonly<Record<ChartedStatus, string>>;
  readonly newlyFailed: string;
  /** The left axis: sessions. */
  readonly sessionsAxis: string;
  /** Under the chart when a day has no data, say. */
  readonly subtitle?: string;
}

/** More than any 30 days hold (a daily run, plus what operators start by hand). */
const RUNS_READ_LIMIT = 400;

/** The chart's days and the newest finished run, read once for the bot's photo and the Mini App's page alike. */
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
