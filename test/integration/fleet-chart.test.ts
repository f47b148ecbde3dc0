/**
 * The 📈 Fleet chart from run records on DynamoDB Local, drawn to PNG by ECharts (SVG) and resvg, and looked at:
 * the right size, not blank, and each day's column in the colours its fleet says (an error-only day red, a missed
 * day empty, a day with newly failed sessions marked).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { fleetChartPng } from "../../lib/chart";
import {
  dayColumnX,
  FLEET_CHART_LAYOUT,
  NEWLY_FAILED_COLOUR,
  STATUS_COLOURS,
} from "../../lib/chart/fleet-chart";
import { FLEET_CHART_DAYS, fleetHistory, hasFleetData } from "../../lib/chart/fleet-history";
import { readFleetPicture } from "../../lib/chart/fleet-history";
import { fleetChartLabels } from "../../lib/bot/locales";
import { LOCALES } from "../../lib/bot/locales";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { fleetRunSummary, seedFleetRuns } from "../support/fleet-runs";
import { readPng, type Picture } from "../support/png-inspect";

const NOW = new Date("2026-12-03T10:00:00Z");
const { width, height, grid } = FLEET_CHART_LAYOUT;
const TOP = grid.top;
const BOTTOM = height - grid.bottom;
/** Day index (0 = oldest of the 30) of a day `daysAgo` before today. */
const column = (daysAgo: number) => dayColumnX(FLEET_CHART_DAYS - 1 - daysAgo, FLEET_CHART_DAYS);

let store: TestStore;
let runs: HealthCheckRuns;
beforeAll(async () => {
  store = await createTestStore();
  runs = new HealthCheckRuns(store.doc, store.botStateTable, () => NOW);
});

describe("the fleet's days", () => {
  it("takes each day's last finished run, adds up its newly failed, and leaves a day without a run empty", async () => {
    const s = await createTestStore();
    const r = new HealthCheckRuns(s.doc, s.botStateTable, () => NOW);
    await seedFleetRuns(r, NOW, [{ daysAgo: 2, active: 10, paused: 1, error: 0, failed: 0 }]);
    // Two runs today: a morning one and a later `sessions check --all`; the later one's fleet is the day's.
    await r.recordFinished(
      fleetRunSummary(NOW, { daysAgo: 0, active: 9, paused: 1, error: 1, failed: 1 }, "a"),
    );
    const later = fleetRunSummary(NOW, { daysAgo: 0, active: 7, paused: 1, error: 3, failed: 2 }, "b");
    await r.recordFinished({
      ...later,
      startedAt: new Date(Date.parse(later.startedAt) + 3_600_000).toISOString(),
      finishedAt: new Date(Date.parse(later.finishedAt) + 3_600_000).toISOString(),
    });
    // Older than the chart's 30 days: not read.
    await seedFleetRuns(r, NOW, [{ daysAgo: 40, active: 99, paused: 0, error: 0 }]);

    const picture = await readFleetPicture(r, NOW);
    expect(picture.days).toHaveLength(30);
    expect(picture.days[0]!.date).toBe("2026-11-04");
    expect(picture.days.at(-1)).toEqual({
      date: "2026-12-03",
      fleet: { active: 7, paused: 1, error: 3 },
      newlyFailed: 3,
      runs: 2,
    });
    expect(picture.days.at(-2)).toEqual({ date: "2026-12-02", newlyFailed: 0, runs: 0 });
    expect(picture.days.at(-3)!.fleet).toEqual({ active: 10, paused: 1, error: 0 });
    expect(picture.lastRun?.runId).toBe("b");
    expect(hasFleetData(fleetHistory([], NOW))).toBe(false);
  });
});

describe("the fleet chart PNG", () => {
  let picture: Picture;
  beforeAll(async () => {
    await seedFleetRuns(runs, NOW, [
      // Only error sessions that day (everything else was deleted): the column is red, and nothing else.
      { daysAgo: 20, active: 0, paused: 0, error: 40 },
      // Only active sessions.
      { daysAgo: 10, active: 50, paused: 0, error: 0 },
      // All three, and 5 newly failed.
      { daysAgo: 5, active: 30, paused: 10, error: 12, failed: 5 },
      // Day 3 had no run at all.
      { daysAgo: 0, active: 35, paused: 8, error: 9 },
    ]);
    const { days } = await readFleetPicture(runs, NOW);
    const started = performance.now();
    const png = await fleetChartPng(days, fleetChartLabels(LOCALES.en));
    console.log(
      `fleet chart: ${png.length} bytes, drawn in ${Math.round(performance.now() - started)} ms (first, cold)`,
    );
    picture = readPng(png);
  }, 60_000);

  it("is the chart's size and not blank", () => {
    expect([picture.width, picture.height]).toEqual([width, height]);
    // Axes, labels, bars: far more than a blank page (a blank one inks nothing and has one colour).
    expect(picture.inked()).toBeGreaterThan(20_000);
    expect(picture.colours()).toBeGreaterThan(20);
  });

  it("draws an error-only day in the error colour, and no other status there", () => {
    const x = column(20);
    expect(picture.countInColumn(x, TOP, BOTTOM, STATUS_COLOURS.error)).toBeGreaterThan(100);
    expect(picture.countInColumn(x, TOP, BOTTOM, STATUS_COLOURS.active)).toBe(0);
    expect(picture.countInColumn(x, TOP, BOTTOM, STATUS_COLOURS.paused)).toBe(0);
  });

  it("draws an active-only day green, a mixed day in all three colours stacked, and a day without a run empty", () => {
    const active = column(10);
    expect(picture.countInColumn(active, TOP, BOTTOM, STATUS_COLOURS.active)).toBeGreaterThan(100);
    expect(picture.countInColumn(active, TOP, BOTTOM, STATUS_COLOURS.error)).toBe(0);

    const mixed = column(5);
    const counts = (["active", "paused", "error"] as const).map((s) =>
      picture.countInColumn(mixed, TOP, BOTTOM, STATUS_COLOURS[s]),
    );
    // Heights in proportion to 30 : 10 : 12 (within a few pixels of anti-aliased edges).
    expect(counts[0]! / counts[1]!).toBeCloseTo(3, 0);
    expect(counts[2]! / counts[1]!).toBeCloseTo(1.2, 0);

    for (const s of ["active", "paused", "error"] as const)
      expect(picture.countInColumn(column(3), TOP, BOTTOM, STATUS_COLOURS[s])).toBe(0);
  });

  it("marks the newly failed on their day only", () => {
    const box = (daysAgo: number) => ({
      x0: Math.round(column(daysAgo)) - 8,
      x1: Math.round(column(daysAgo)) + 8,
      y0: TOP - 20,
      y1: BOTTOM,
    });
    expect(picture.countInBox(box(5), NEWLY_FAILED_COLOUR)).toBeGreaterThan(30);
    expect(picture.countInBox(box(10), NEWLY_FAILED_COLOUR)).toBe(0);
  });
});
