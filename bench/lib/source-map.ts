/**
 * The least of a source map reader: which original source file a position of the bundle came from. Enough to tell
 * whether a function V8 ran on a path belongs to GramJS (node_modules/telegram/…).
 */
const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = DIGIT.get(ch);
    if (digit === undefined) throw new Error(`bad source map character ${ch}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

export interface SourceLookup {
  readonly sources: readonly string[];
  /** The source file of a 0-based offset into the generated file, if mapped. */
  sourceAt(offset: number): string | undefined;
}

export function readSourceMap(generated: string, mapJson: string): SourceLookup {
  const map = JSON.parse(mapJson) as { sources: string[]; mappings: string };
  const lineStarts = [0];
  for (let i = generated.indexOf("\n"); i >= 0; i = generated.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  // Per generated line: columns (ascending) and the source index of each segment.
  const lines: { cols: number[]; srcs: number[] }[] = [];
  let source = 0;
  for (const lineText of map.mappings.split(";")) {
    const cols: number[] = [];
    const srcs: number[] = [];
    let col = 0;
    for (const seg of lineText.split(",")) {
      if (!seg) continue;
      const v = decodeVlq(seg);
      col += v[0]!;
      if (v.length >= 4) {
        source += v[1]!;
        // original line/column (v[2], v[3]) are relative too but not needed beyond keeping the source index right
      }
      cols.push(col);
      srcs.push(v.length >= 4 ? source : -1);
    }
    lines.push({ cols, srcs });
  }
  return {
    sources: map.sources,
    sourceAt(offset) {
      let lo = 0;
      let hi = lineStarts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (lineStarts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
      }
      const line = lines[lo];
      if (!line) return undefined;
      const col = offset - lineStarts[lo]!;
      let a = 0;
      let b = line.cols.length - 1;
      let found = -1;
      while (a <= b) {
        const mid = (a + b) >> 1;
        if (line.cols[mid]! <= col) {
          found = mid;
          a = mid + 1;
        } else b = mid - 1;
      }
      const src = found >= 0 ? line.srcs[found]! : -1;
      return src >= 0 ? map.sources[src] : undefined;
    },
  };
}
