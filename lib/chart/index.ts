/**
 * The fleet chart, loaded on first use (`await import("../chart/index.js")`): ECharts and resvg are megabytes the
 * AdminBot's `/start` and session list never need, so they sit in their own chunk of the Lambda asset.
 */
import type { FleetChartLabels, FleetDay } from "./fleet-history";
import { fleetChartSvg } from "./fleet-chart";
import { svgToPng } from "./png";

export { fleetChartSvg };

/** The chart as a PNG (`FLEET_CHART_LAYOUT`'s size). */
export async function fleetChartPng(days: readonly FleetDay[], labels: FleetChartLabels): Promise<Buffer> {
  return svgToPng(fleetChartSvg(days, labels));
}
