/** Looks at a PNG as a person would: its size, whether anything is drawn, which colours a column of it shows. */
import { PNG } from "pngjs";

export interface Picture {
  readonly width: number;
  readonly height: number;
  /** How many pixels of column `x` between `top` and `bottom` are `colour` (`#rrggbb`, within `tolerance`). */
  countInColumn(x: number, top: number, bottom: number, colour: string, tolerance?: number): number;
  /** How many pixels of the rectangle are `colour`. */
  countInBox(
    box: { x0: number; x1: number; y0: number; y1: number },
    colour: string,
    tolerance?: number,
  ): number;
  /** How many pixels are not white. */
  inked(): number;
  /** How many distinct colours the picture uses. */
  colours(): number;
}

export function readPng(bytes: Uint8Array): Picture {
  const png = PNG.sync.read(Buffer.from(bytes));
  const rgb = (hex: string) =>
    [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  const at = (x: number, y: number) => {
    const i = (y * png.width + x) * 4;
    return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!] as const;
  };
  const matches = (x: number, y: number, c: readonly number[], tol: number) => {
    const p = at(x, y);
    return Math.abs(p[0] - c[0]!) <= tol && Math.abs(p[1] - c[1]!) <= tol && Math.abs(p[2] - c[2]!) <= tol;
  };
  const countInBox: Picture["countInBox"] = (box, colour, tolerance = 2) => {
    const c = rgb(colour);
    let n = 0;
    for (let y = Math.max(0, box.y0); y < Math.min(png.height, box.y1); y++)
      for (let x = Math.max(0, box.x0); x < Math.min(png.width, box.x1); x++)
        if (matches(x, y, c, tolerance)) n++;
    return n;
  };
  return {
    width: png.width,
    height: png.height,
    countInColumn: (x, top, bottom, colour, tolerance) =>
      countInBox({ x0: Math.round(x), x1: Math.round(x) + 1, y0: top, y1: bottom }, colour, tolerance),
    countInBox,
    inked() {
      let n = 0;
      for (let y = 0; y < png.height; y++)
        for (let x = 0; x < png.width; x++) if (!matches(x, y, [255, 255, 255], 8)) n++;
      return n;
    },
    colours() {
      const seen = new Set<number>();
      for (let i = 0; i < png.data.length; i += 4)
        seen.add((png.data[i]! << 16) | (png.data[i + 1]! << 8) | png.data[i + 2]!);
      return seen.size;
    },
  };
}
