/**
 * SVG to PNG inside the Lambda: resvg (Rust, compiled to WebAssembly: the same file on arm64 and x86, nothing
 * native to build) with the font handed over as a buffer. The WebAssembly is compiled once per container; the font
 * is read once too.
 */
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { loadChartAssets } from "./assets";

let ready: Promise<Buffer> | undefined;

/** Compiles resvg and reads the font, once; a failure is retried by the next call. */
function prepare(): Promise<Buffer> {
  ready ??= loadChartAssets().then(
    async ({ wasm, font }) => {
      await initWasm(wasm);
      return font;
    },
    (err: unknown) => {
      ready = undefined;
      throw err;
    },
  );
  return ready;
}

/** The SVG as a PNG of its own size, on white. */
export async function svgToPng(svg: string): Promise<Buffer> {
  const font = await prepare();
  const resvg = new Resvg(svg, {
    background: "#ffffff",
    fitTo: { mode: "original" },
    font: {
      fontBuffers: [font],
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  try {
    const image = resvg.render();
    try {
      return Buffer.from(image.asPng());
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
