/**
 * Figure 1, webhook cold start: a fresh Node process loads the admin-bot bundle (built exactly as the template
 * bundles it) and handles one `/start` from an admin: DynamoDB Local, Bot API answered on loopback, botInfo cached
 * in the bot-state table. The reference is the minimal grammY handler (bench/reference/minimal-bot.ts) bundled the
 * same way. Runs are interleaved (admin bot, reference, admin bot, …) so both see the same machine load; both run
 * with NODE_OPTIONS=--enable-source-maps, as the functions are deployed.
 *
 * Whether GramJS runs on the /start path is read from V8's own coverage of one extra run, mapped back to source
 * files through the bundle's source map.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ChatMemory } from "../lib/bot-state/chat-memory";
import { AdminRepository } from "../lib/bot-state/admins";
import type { BotApiServer } from "./lib/bot-api-server";
import type { Bundle } from "./lib/bundles";
import { runNode } from "./lib/child";
import { ADMIN_ID, BOT_INFO, BOT_TOKEN, WEBHOOK_SECRET, commandUpdate, webhookEvent } from "./lib/events";
import { readSourceMap } from "./lib/source-map";
import { median, round } from "./lib/stats";
import type { BenchStore } from "./lib/store";

export interface ColdRun {
  /** require() of the bundle. */
  readonly loadMs: number;
  /** From the handler call to its answer. */
  readonly firstMs: number;
  /** Process start to the answer (Node's own boot included). */
  readonly totalMs: number;
  readonly status: number;
}

// import(), as Lambda's runtime loads a handler: the admin bot's asset is ES modules (infra/bundling.ts).
const COLD_PROGRAM = `
const { performance } = require("node:perf_hooks");
const { pathToFileURL } = require("node:url");
const t0 = performance.now();
import(pathToFileURL(process.env.BENCH_BUNDLE).href).then((m) => {
  const t1 = performance.now();
  const handler = m.handler ?? m.default.handler;
  return Promise.resolve(handler(JSON.parse(process.env.BENCH_EVENT), { getRemainingTimeInMillis: () => 29000 })).then(
    (r) => {
      const t2 = performance.now();
      process.stdout.write("\\nBENCH " + JSON.stringify({ loadMs: t1 - t0, firstMs: t2 - t1, totalMs: t2, status: r && r.statusCode }) + "\\n");
      process.exit(0);
    },
  );
}).catch((e) => { console.error(e); process.exit(1); });`;

/** The environment both handlers get: the tables, the secrets as a developer machine has them, the Bot API. */
export async function prepareWebhookStore(store: BenchStore): Promise<void> {
  await new AdminRepository(store.doc, store.botStateTable).add({
    userId: String(ADMIN_ID),
    role: "owner",
    addedBy: "cli",
  });
  await new ChatMemory(store.doc, store.botStateTable, store.cipher).saveBotInfo(BOT_INFO);
}

export function webhookEnv(store: BenchStore, api: BotApiServer): Record<string, string> {
  return {
    ...store.env,
    BOT_TOKEN,
    WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: api.apiRoot,
    REFERENCE_BOT_INFO: JSON.stringify(BOT_INFO),
    NODE_OPTIONS: "--enable-source-maps",
  };
}

let nextUpdateId = 1_000_000;

export function coldRun(bundle: Bundle, env: Record<string, string>, extra: Record<string, string> = {}) {
  const event = webhookEvent(commandUpdate(nextUpdateId++, "/start"));
  return runNode<ColdRun>(COLD_PROGRAM, {
    ...env,
    ...extra,
    BENCH_BUNDLE: bundle.file,
    BENCH_EVENT: JSON.stringify(event),
  });
}

export interface ColdSummary {
  /** Median of require() + first /start. */
  readonly medianMs: number;
  readonly medianLoadMs: number;
  readonly medianFirstMs: number;
  /** Median from process start (Node's boot included). */
  readonly medianTotalMs: number;
  readonly bytes: number;
}

function summarize(runs: ColdRun[], bundle: Bundle): ColdSummary {
  return {
    medianMs: round(median(runs.map((r) => r.loadMs + r.firstMs)), 1),
    medianLoadMs: round(median(runs.map((r) => r.loadMs)), 1),
    medianFirstMs: round(median(runs.map((r) => r.firstMs)), 1),
    medianTotalMs: round(median(runs.map((r) => r.totalMs)), 1),
    bytes: bundle.bytes,
  };
}

export interface ColdStartFigures {
  readonly runs: number;
  readonly adminBot: ColdSummary;
  readonly reference: ColdSummary;
  /** Median (load + first /start) of the admin bot over the reference's. */
  readonly ratio: number;
  readonly gramjs: {
    readonly modulesInBundle: number;
    readonly modulesRunOnStart: number;
    /** The asset's code files read on a cold /start (entry and the chunks it imports statically). */
    readonly bytesLoadedOnStart: number;
  };
}

export async function measureColdStart(options: {
  runs: number;
  adminBot: Bundle;
  reference: Bundle;
  env: Record<string, string>;
  log: (line: string) => void;
}): Promise<ColdStartFigures> {
  const { adminBot, reference, env } = options;
  // One of each first, unmeasured: the OS file cache holds both bundles and node_modules afterwards.
  for (const b of [adminBot, reference]) {
    const run = await coldRun(b, env);
    if (run.status !== 200) throw new Error(`${b.file} answered /start with ${run.status}`);
  }
  const bot: ColdRun[] = [];
  const refRuns: ColdRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    const pair = i % 2 === 0 ? ([adminBot, reference] as const) : ([reference, adminBot] as const);
    for (const b of pair) {
      const run = await coldRun(b, env);
      if (run.status !== 200) throw new Error(`${b.file} answered /start with ${run.status}`);
      (b === adminBot ? bot : refRuns).push(run);
    }
  }
  options.log(`cold start: ${options.runs} fresh processes each, interleaved`);
  const gramjs = await gramjsOnStartPath(adminBot, env);
  const admin = summarize(bot, adminBot);
  const ref = summarize(refRuns, reference);
  return {
    runs: options.runs,
    adminBot: admin,
    reference: ref,
    ratio: round(admin.medianMs / ref.medianMs, 3),
    gramjs,
  };
}

interface V8Coverage {
  result: {
    url: string;
    functions: {
      functionName: string;
      ranges: { startOffset: number; endOffset: number; count: number }[];
    }[];
  }[];
}

/**
 * One more cold /start with NODE_V8_COVERAGE: every function V8 ran in the asset's files (entry and chunks), mapped
 * through each file's source map to its original file. Counts the GramJS source files (node_modules/telegram/…) in
 * the asset and those with at least one function run. (A module's top level counts: esbuild wraps each CommonJS
 * module in a function.)
 */
async function gramjsOnStartPath(bundle: Bundle, env: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-coverage-"));
  try {
    await coldRun(bundle, env, { NODE_V8_COVERAGE: dir });
    const assetDir = path.dirname(bundle.file);
    const files = readdirSync(assetDir, { recursive: true, encoding: "utf8" }).filter((f) =>
      /\.m?js$/.test(f),
    );
    const lookups = new Map(
      files.map((f) => {
        const file = path.join(assetDir, f);
        return [
          pathToFileURL(file).href,
          readSourceMap(readFileSync(file, "utf8"), readFileSync(`${file}.map`, "utf8")),
        ] as const;
      }),
    );
    const isGramjs = (source: string | undefined) =>
      source !== undefined && /node_modules\/telegram\//.test(source);
    const ran = new Set<string>();
    const loaded = new Set<string>();
    for (const file of readdirSync(dir)) {
      const coverage = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as V8Coverage;
      for (const script of coverage.result) {
        const lookup = lookups.get(script.url);
        if (!lookup) continue;
        loaded.add(script.url);
        for (const fn of script.functions) {
          const range = fn.ranges[0];
          if (!range || range.count === 0) continue;
          const source = lookup.sourceAt(range.startOffset);
          if (isGramjs(source)) ran.add(source!);
        }
      }
    }
    const inAsset = new Set([...lookups.values()].flatMap((l) => l.sources.filter(isGramjs)));
    const bytesLoadedOnStart = [...loaded].reduce((sum, url) => sum + statSync(fileURLToPath(url)).size, 0);
    return { modulesInBundle: inAsset.size, modulesRunOnStart: ran.size, bytesLoadedOnStart };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
