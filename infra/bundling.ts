/**
 * How every Lambda bundle is built, said once.
 *
 * The CDK functions (`NodejsFunction`) and anything else that needs "the same files the synthesized template uses"
 * (the benchmark's cold-start run, a bundle-size check) take their options from here, so a setting changed for
 * Lambda is changed for them too. `esbuildOptions` is the esbuild equivalent of `LAMBDA_BUNDLING`, and a test
 * builds both and compares the output byte for byte.
 */
import * as path from "node:path";
import { LogLevel, OutputFormat, type BundlingOptions } from "aws-cdk-lib/aws-lambda-nodejs";

/** The repository root: every entry path below is relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** The Lambda entry points, by the name an operator sees in the console (`<stack>-<name>-…`). */
export const ENTRY_POINTS = {
  adminBot: "functions/admin-bot.ts",
  healthCheckDispatch: "functions/health-check-dispatch.ts",
  healthCheckWorker: "functions/health-check-worker.ts",
  cleanup: "functions/cleanup.ts",
} as const;

export type FunctionName = keyof typeof ENTRY_POINTS;

/** Lambda's Node.js 24 runtime; esbuild must not emit syntax newer than it runs. */
export const ESBUILD_TARGET = "node24";

/**
 * Provided by the Lambda Node.js runtime. Left out of the bundle to keep it small; the runtime's SDK version is the
 * one the code meets in production.
 */
export const EXTERNAL_MODULES = ["@aws-sdk/*"];

/** Options for every `NodejsFunction`. Bundled locally with the esbuild in node_modules: no Docker. */
export const LAMBDA_BUNDLING: BundlingOptions = {
  // CommonJS: grammY's Node build (node-fetch@2, abort-controller) and GramJS are CommonJS; ESM would need a
  // createRequire banner and gains nothing here.
  format: OutputFormat.CJS,
  target: ESBUILD_TARGET,
  minify: true,
  // Mandatory with minify: grammY's bot.init() loops forever when class and function names are mangled, and
  // GramJS's error classes lose the names its own code compares.
  keepNames: true,
  // Stack traces that point at our TypeScript; NODE_OPTIONS=--enable-source-maps turns them on at run time.
  sourceMap: true,
  // Maps without the original sources embedded: stack traces still point at file, line and column, and the map Node
  // parses at start-up (--enable-source-maps) is less than half the size (npm run bench: cold start).
  sourcesContent: false,
  externalModules: EXTERNAL_MODULES,
  forceDockerBundling: false,
  // A synth prints problems, not the size of every file.
  logLevel: LogLevel.WARNING,
};

/**
 * Functions whose asset is ES modules split into chunks: the entry (`index.mjs`) and, under `chunks/`, the code it
 * shares with what it loads on first use (`import()`). For the AdminBot this keeps GramJS, the QR image library and
 * the fleet chart (ECharts, resvg) out of the module graph that loads for `/start` and the session list: they sit in
 * their own chunk files, read from disk only when a login step, a QR code, a check or 📈 Fleet runs. CommonJS cannot split, and a second CommonJS bundle would
 * carry its own copies of lib/ (so an `instanceof` across the two would fail).
 */
export const SPLIT_FUNCTIONS: readonly FunctionName[] = ["adminBot"];

/** Files shipped beside the code of a split asset, not bundled into it: resvg's WebAssembly and the chart's font. */
export const CHART_FILE_LOADERS = { ".wasm": "file", ".ttf": "file" } as const;

/** The file Lambda's `index.handler` names inside the asset. */
export function handlerFile(name: FunctionName): "index.mjs" | "index.js" {
  return SPLIT_FUNCTIONS.includes(name) ? "index.mjs" : "index.js";
}

/**
 * Prepended to every ES module file: the bundled CommonJS packages (grammY's node-fetch, GramJS) call `require` for
 * Node's built-ins and read `__dirname`, neither of which an ES module has.
 */
export const ESM_BANNER =
  'import { createRequire as __skRequire } from "node:module";' +
  'import { fileURLToPath as __skPath } from "node:url";' +
  'import { dirname as __skDir } from "node:path";' +
  "const require = __skRequire(import.meta.url);" +
  "const __filename = __skPath(import.meta.url);" +
  "const __dirname = __skDir(__filename);";

/**
 * The esbuild `build()` options that produce exactly what goes in the function's asset for `name`: `<outdir>/index.js`
 * and its map (NodejsFunction, CommonJS), or for `SPLIT_FUNCTIONS` `<outdir>/index.mjs`, `<outdir>/chunks/*.mjs` and
 * their maps (bundled by the construct with these very options). Plain data, so this module does not need esbuild
 * installed.
 */
export function esbuildOptions(name: FunctionName, outdir: string) {
  const common = {
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: "node" as const,
    target: ESBUILD_TARGET,
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    external: [...EXTERNAL_MODULES],
    logLevel: "warning" as const,
  };
  if (SPLIT_FUNCTIONS.includes(name)) {
    return {
      ...common,
      entryPoints: [{ in: path.join(PROJECT_ROOT, ENTRY_POINTS[name]), out: "index" }],
      outdir,
      format: "esm" as const,
      splitting: true,
      outExtension: { ".js": ".mjs" },
      chunkNames: "chunks/[name]-[hash]",
      // The fleet chart's PNG renderer needs resvg's WebAssembly and a font (a Lambda has none): esbuild copies each
      // file it sees imported into assets/, and the import gives its path (lib/chart/assets.ts reads it from there).
      loader: CHART_FILE_LOADERS,
      assetNames: "assets/[name]-[hash]",
      define: { "process.env.SK_BUNDLED": '"lambda"' },
      banner: { js: ESM_BANNER },
    };
  }
  return {
    ...common,
    entryPoints: [path.join(PROJECT_ROOT, ENTRY_POINTS[name])],
    outfile: path.join(outdir, "index.js"),
    format: "cjs" as const,
  };
}
