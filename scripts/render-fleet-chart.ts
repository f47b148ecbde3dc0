/**
 * Renders docs/fleet-chart.png, the README's picture of 📈 Fleet: the real chart code (ECharts SVG, resvg PNG, the
 * bundled DejaVu Sans) over a month of realistic run records (test/support/fleet-runs.ts: about 1,200 sessions, two
 * bad days, a weekly cleanup, one missed run). `npx tsx scripts/render-fleet-chart.ts [out.png]`.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { fleetChartLabels, LOCALES } from "../lib/bot/locales";
import { fleetChartPng } from "../lib/chart";
import { fleetHistory } from "../lib/chart/fleet-history";
import type { RunRecord } from "../lib/jobs/runs";
import { fleetRunSummary, realisticFleetMonth } from "../test/support/fleet-runs";

async function main(): Promise<void> {
  const out = process.argv[2] ?? path.join(__dirname, "..", "docs", "fleet-chart.png");
  const now = new Date("2026-12-03T10:00:00Z");
  // The records as `recordFinished` writes them (the fields the chart reads).
  const records: RunRecord[] = realisticFleetMonth().map((day) => {
    const s = fleetRunSummary(now, day);
    return {
      runId: s.runId,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      queued: s.queued,
      notQueuedFloodWait: 0,
      notQueuedLeased: 0,
      dispatchComplete: true,
      processed: s.queued,
      ...s.counts,
      fleet: s.fleet,
    };
  });
  const started = performance.now();
  const png = await fleetChartPng(fleetHistory(records, now), fleetChartLabels(LOCALES.en));
  writeFileSync(out, png);
  console.log(`${out}: ${png.length} bytes, drawn in ${Math.round(performance.now() - started)} ms`);
}

void main();
