/**
 * Small charts for the terminal: a sparkline per series (▁▂▃▄▅▆▇█), all series on one scale so their heights
 * compare, for `sessions history`. Plain characters, so a pipe or a log keeps them too.
 */
import { visibleWidth } from "./format";

const BARS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;

/** One character per value; 0 is a blank, the largest value of `max` (default: of `values`) a full block. */
export function sparkline(values: readonly number[], max = Math.max(0, ...values)): string {
  return values
    .map((v) => {
      if (v <= 0 || max <= 0) return " ";
      const i = Math.min(BARS.length - 1, Math.max(0, Math.ceil((v / max) * BARS.length) - 1));
      return BARS[i]!;
    })
    .join("");
}

export interface ChartSeries {
  readonly label: string;
  readonly values: readonly number[];
  /** Colours the line (the label stays plain). */
  readonly paint?: (s: string) => string;
}

/** Labelled sparklines on one scale, each ending with its last value: "  active  ▅▆▇█ 1,204". */
export function sparkChart(series: readonly ChartSeries[], formatValue: (n: number) => string): string[] {
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const width = Math.max(...series.map((s) => visibleWidth(s.label)));
  return series.map((s) => {
    const line = sparkline(s.values, max);
    const last = s.values.at(-1);
    return `  ${s.label.padEnd(width)}  ${s.paint ? s.paint(line) : line}${last === undefined ? "" : ` ${formatValue(last)}`}`;
  });
}
