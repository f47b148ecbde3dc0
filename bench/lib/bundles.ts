/**
 * Builds the Lambda bundles exactly as the synthesized template does (`esbuildOptions` from infra/bundling.ts), plus
 * the reference handler with the same options. Output goes under `.data/bench/` inside the repository, so a bundle
 * run in a fresh Node process finds the external `@aws-sdk/*` packages in node_modules, as Lambda's runtime provides
 * them. A split function (ES modules) is its entry file plus chunk files; `bytes` counts every code file of the asset.
 */
import { build } from "esbuild";
import { readdirSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import { esbuildOptions, handlerFile, PROJECT_ROOT, type FunctionName } from "../../infra/bundling";

export const BENCH_DIR = path.join(PROJECT_ROOT, ".data", "bench");

export interface Bundle {
  /** The file Lambda's `index.handler` loads. */
  readonly file: string;
  /** Every code file of the asset (entry and chunks), source maps left out. */
  readonly bytes: number;
}

function codeBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(m?js)$/.test(f))
    .reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
}

async function buildInto(
  outdir: string,
  options: Parameters<typeof build>[0],
  file: string,
): Promise<Bundle> {
  // Chunk names carry content hashes: a stale chunk of an earlier build must not be counted.
  rmSync(outdir, { recursive: true, force: true });
  await build(options);
  return { file: path.join(outdir, file), bytes: codeBytes(outdir) };
}

export async function buildFunction(name: FunctionName): Promise<Bundle> {
  const outdir = path.join(BENCH_DIR, name);
  return buildInto(outdir, esbuildOptions(name, outdir), handlerFile(name));
}

/** The reference handler, bundled with the admin bot's options but its own entry point. */
export async function buildReference(): Promise<Bundle> {
  const outdir = path.join(BENCH_DIR, "reference");
  const options = esbuildOptions("adminBot", outdir);
  const entry = path.join(PROJECT_ROOT, "bench", "reference", "minimal-bot.ts");
  return buildInto(
    outdir,
    {
      ...options,
      entryPoints: "outdir" in options ? [{ in: entry, out: "index" }] : [entry],
    },
    handlerFile("adminBot"),
  );
}
