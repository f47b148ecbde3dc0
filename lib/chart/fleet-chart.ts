/**
 * The fleet chart as SVG, drawn by Apache ECharts' server-side renderer (`renderer: "svg", ssr: true`): one stacked
 * bar per day (active, paused, error, bottom up) and the newly failed of each day as marked points on a second
 * axis. The Mini App shows this SVG as it is; the AdminBot rasterises it to PNG (lib/chart/png.ts).
 *
 * Only the parts of ECharts this chart uses are registered (bar, line, grid, legend, title, the SVG renderer), so
 * the bundle carries those and not the whole library. The plot area is placed by hand (`FLEET_CHART_LAYOUT`), so a
 * test can find a given day's column in the picture.
 */
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { CHARTED_STATUSES, STATUS_COLOURS, type FleetChartLabels, type FleetDay } from "./fleet-history";

export { STATUS_COLOURS };

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

/**
 * Server-side, ECharts has no canvas to measure text with and guesses narrow widths, so legend entries overlap once
 * the PNG is drawn in DejaVu Sans. DejaVu Sans averages about 0.62 em a character (digits 0.636 em): measuring with
 * that keeps the layout's gaps where the picture's font needs them.
 */
echarts.setPlatformAPI({
  measureText(text: string, font?: string) {
    const size = Number(/(\d+(?:\.\d+)?)px/.exec(font ?? "")?.[1] ?? 12);
    const bold = /\bbold\b|\b[6-9]00\b/.test(font ?? "");
    return { width: [...text].length * size * (bold ? 0.68 : 0.62) };
  },
});

/** The newly failed marks: a dark violet no status uses, so a mark never reads as a bar. */
export const NEWLY_FAILED_COLOUR = "#5b2c83";

/** The picture's size and the plot area inside it, in pixels. */
export const FLEET_CHART_LAYOUT = {
  width: 1200,
  height: 600,
  grid: { left: 72, right: 72, top: 96, bottom: 56 },
} as const;

/** The x coordinate of the middle of day `index`'s column (of `count` days), for tests that look at the picture. */
export function dayColumnX(index: number, count: number): number {
  const { width, grid } = FLEET_CHART_LAYOUT;
  const band = (width - grid.left - grid.right) / count;
  return grid.left + (index + 0.5) * band;
}

const FONT = "DejaVu Sans, sans-serif";

/** The chart's SVG markup. */
export function fleetChartSvg(days: readonly FleetDay[], labels: FleetChartLabels): string {
  const { width, height, grid } = FLEET_CHART_LAYOUT;
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: "#ffffff",
      textStyle: { fontFamily: FONT, color: "#222222" },
      title: {
        text: labels.title,
        ...(labels.subtitle ? { subtext: labels.subtitle } : {}),
        left: grid.left,
        top: 14,
        textStyle: { fontFamily: FONT, fontSize: 20, fontWeight: "bold", color: "#222222" },
        subtextStyle: { fontFamily: FONT, fontSize: 13, color: "#666666" },
      },
      legend: {
        top: 18,
        right: grid.right,
        itemWidth: 16,
        itemHeight: 12,
        textStyle: { fontFamily: FONT, fontSize: 13, color: "#333333" },
      },
      grid: { ...grid, containLabel: false },
      xAxis: {
        type: "category",
        data: days.map((d) => d.date.slice(5)),
        axisTick: { alignWithLabel: true },
        axisLabel: { fontFamily: FONT, fontSize: 11, color: "#555555", interval: 1 },
        axisLine: { lineStyle: { color: "#999999" } },
      },
      yAxis: [
        {
          type: "value",
          name: labels.sessionsAxis,
          nameTextStyle: { fontFamily: FONT, fontSize: 12, color: "#555555", align: "left" },
          minInterval: 1,
          axisLabel: { fontFamily: FONT, fontSize: 11, color: "#555555" },
          splitLine: { lineStyle: { color: "#e6e6e6" } },
        },
        {
          type: "value",
          name: labels.newlyFailed,
          nameTextStyle: { fontFamily: FONT, fontSize: 12, color: NEWLY_FAILED_COLOUR, align: "right" },
          minInterval: 1,
          // Room above the highest mark for its label.
          max: (extent: { max: number }) => Math.max(4, Math.ceil(extent.max * 1.25)),
          axisLabel: { fontFamily: FONT, fontSize: 11, color: NEWLY_FAILED_COLOUR },
          splitLine: { show: false },
        },
      ],
      series: [
        ...CHARTED_STATUSES.map((status) => ({
          type: "bar" as const,
          name: labels.statusName[status],
          stack: "fleet",
          barCategoryGap: "25%",
          itemStyle: { color: STATUS_COLOURS[status] },
          data: days.map((d) => (d.fleet ? d.fleet[status] : null)),
        })),
        {
          type: "line" as const,
          name: labels.newlyFailed,
          yAxisIndex: 1,
          symbol: "diamond",
          symbolSize: 14,
          lineStyle: { width: 0 },
          itemStyle: { color: NEWLY_FAILED_COLOUR },
          label: {
            show: true,
            position: "top" as const,
            fontFamily: FONT,
            fontSize: 12,
            fontWeight: "bold" as const,
            color: NEWLY_FAILED_COLOUR,
            // Readable over a bar of any colour.
            backgroundColor: "#ffffff",
            padding: [1, 4],
            borderRadius: 3,
          },
          // Only the days that had any: a mark is something to look at.
          data: days.map((d) => (d.newlyFailed > 0 ? d.newlyFailed : null)),
        },
      ],
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
