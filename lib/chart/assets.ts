/**
 * The two files the PNG renderer needs besides code: resvg's WebAssembly and a TrueType font (DejaVu Sans: Latin and
 * Cyrillic, for the chart's texts in every language of the bot). A Lambda has no fonts of its own, so the font ships
 * inside the asset and resvg is given it as a buffer (no system fonts are read).
 *
 * In the Lambda asset, esbuild's `file` loader copies both into `assets/` beside the chunks (infra/bundling.ts,
 * `SK_BUNDLED`), and the import gives the copy's path relative to the chunk that imports it. Run from source (tests,
 * `npm run dev`, scripts), they are read from node_modules.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import * as path from "node:path";

export interface ChartAssets {
  readonly wasm: Buffer;
  readonly font: Buffer;
}

const WASM = "@resvg/resvg-wasm/index_bg.wasm";
const FONT = "dejavu-fonts-ttf/ttf/DejaVuSans.ttf";

export async function loadChartAssets(): Promise<ChartAssets> {
  const [wasm, font] = await Promise.all([locate(WASM), locate(FONT)]);
  const [wasmBytes, fontBytes] = await Promise.all([readFile(wasm), readFile(font)]);
  return { wasm: wasmBytes, font: fontBytes };
}

async function locate(file: typeof WASM | typeof FONT): Promise<string> {
  if (process.env.SK_BUNDLED === "lambda") {
    // Defined at build time: this branch is the only one left in the asset. The imports are literal so esbuild
    // sees (and copies) each file.
    const copied =
      file === WASM
        ? (await import("@resvg/resvg-wasm/index_bg.wasm")).default
        : (await import("dejavu-fonts-ttf/ttf/DejaVuSans.ttf")).default;
    return path.resolve(__dirname, copied);
  }
  return createRequire(__filename).resolve(file);
}
