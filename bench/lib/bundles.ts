/**
 * Builds the Lambda bundles exactly as the synthesized template does (`esbuildOptions` from infra/bundling.ts), plus
 * the reference handler with the same options. Output goes under `.data/bench/` inside the repository, so a bundle
 * run in a fresh Node process finds the external `@aws-sdk/*` packages in node_modules, as Lambda's runtime provides
 * them.
 */
import { build } from "esbuild";
import { statSync } from "node:fs";
import * as path from "node:path";
import { esbuildOptions, PROJECT_ROOT, type FunctionName } from "../../infra/bundling";

export const BENCH_DIR = path.join(PROJECT_ROOT, ".data", "bench");

export interface Bundle {
  readonly file: string;
  readonly bytes: number;
}

export async function buildFunction(name: FunctionName): Promise<Bundle> {
  const outdir = path.join(BENCH_DIR, name);
  const options = esbuildOptions(name, outdir);
  await build(options);
  return { file: options.outfile, bytes: statSync(options.outfile).size };
}

/** The reference handler, bundled with the admin bot's options but its own entry point. */
export async function buildReference(): Promise<Bundle> {
  const outdir = path.join(BENCH_DIR, "reference");
  const options = {
    ...esbuildOptions("adminBot", outdir),
    entryPoints: [path.join(PROJECT_ROOT, "bench", "reference", "minimal-bot.ts")],
  };
  await build(options);
  return { file: options.outfile, bytes: statSync(options.outfile).size };
}
