/**
 * `npm run bench`: the performance figures of issue #8, each measured side by side with its reference in the same
 * run (these machines are noisy, so every goal is a ratio or a projection from measured rates). Prints a table and,
 * as its last line, one JSON object with every figure. `--quick` runs smaller samples for a smoke run.
 *
 * Needs Java 17+ (DynamoDB Local) and port 80 on loopback addresses (the loopback MTProto DC; root or
 * CAP_NET_BIND_SERVICE). Everything runs on this machine: no AWS, no Telegram.
 */
import {
  PER_DC_CONCURRENCY,
  WORKER_BATCH_SIZE,
  WORKER_MAX_CONCURRENCY,
  WORKER_TIMEOUT_SECONDS,
} from "../lib/jobs/scale";
import { startDynamoDbLocal, type LocalDynamo } from "../infra/local/dynamodb-local";
import { measureColdStart, prepareWebhookStore, webhookEnv, type ColdStartFigures } from "./cold-start";
import { startBotApiServer, type BotApiServer } from "./lib/bot-api-server";
import { buildFunction, buildReference } from "./lib/bundles";
import { BOT_INFO } from "./lib/events";
import { measureCleanup } from "./cleanup";
import { monthlyCost, PRICES, USAGE } from "./cost";
import { countPerUpdate, type RequestCount } from "./counts";
import { FLEET, measureHealthCheck, type HealthCheckFigures } from "./health-check";
import { round } from "./lib/stats";
import { createBenchStore } from "./lib/store";
import { measureLoad } from "./load";
import { measureWarm, seedSessions, WARM_KINDS, type WarmFigures, type WarmKind } from "./warm";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.LOG_LEVEL ??= "SILENT";

const quick = process.argv.includes("--quick");
const started = Date.now();

/** `--name=N` as a number, if given. */
function flag(name: string): number | undefined {
  const arg = process.argv.find((a) => a.startsWith(`${name}=`));
  if (!arg) return undefined;
  const value = Number(arg.slice(name.length + 1));
  if (!Number.isInteger(value) || value < 100) throw new Error(`${name} must be a whole number ≥ 100`);
  return value;
}
const log = (line: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);

interface Row {
  figure: string;
  measured: string;
  reference: string;
  ratio: string;
  goal: string;
  pass: boolean | "n/a";
}

/**
 * `--only=calls,cleanup,healthcheck,cold,warm`: just those parts. `calls` and `cleanup` are the counted figures
 * (DynamoDB calls per warm update by route; the cleanup's reads per delete), quick enough to run after a change to a
 * data path; `healthcheck` is figure 3 alone (its table rows, then its keys, `healthCheckProjectedSeconds100k` among
 * them); `cold` and `warm` are the webhook's timed figures (the same keys as the full run). Prints one JSON line last.
 */
async function only(parts: readonly string[]): Promise<void> {
  const known = ["calls", "cleanup", "healthcheck", "cold", "warm"];
  const unknown = parts.filter((p) => !known.includes(p));
  if (unknown.length) throw new Error(`--only takes ${known.join(", ")}, not ${unknown.join(", ")}`);
  const json: Record<string, unknown> = { only: parts };
  const dynamo = await startDynamoDbLocal({ pidFile: ".data/bench-dynamodb.pid" });
  const api = await startBotApiServer(BOT_INFO);
  try {
    if (parts.includes("cold") || parts.includes("warm")) {
      const [adminBot, reference] = await Promise.all([buildFunction("adminBot"), buildReference()]);
      const store = await createBenchStore(dynamo.endpoint, "webhook");
      await prepareWebhookStore(store);
      const env = webhookEnv(store, api);
      if (parts.includes("cold")) {
        const cold = await measureColdStart({ runs: quick ? 3 : 15, adminBot, reference, env, log });
        log(
          `cold start: admin bot ${JSON.stringify(cold.adminBot)}, reference ${JSON.stringify(cold.reference)}`,
        );
        Object.assign(json, coldJson(cold));
      }
      if (parts.includes("warm")) {
        const phones = await seedSessions(store, 2_000);
        const warm = await measureWarm({ updates: quick ? 150 : 1_000, phones, adminBot, reference, env });
        Object.assign(json, warmJson(warm));
      }
    }
    if (parts.includes("calls")) {
      const store = await createBenchStore(dynamo.endpoint, "webhook");
      await prepareWebhookStore(store);
      const phones = await seedSessions(store, 2_000);
      const perUpdate = await countPerUpdate(webhookEnv(store, api), phones);
      const byRoute = Object.fromEntries(
        WARM_KINDS.map((k) => [k, round(perUpdate[k].reads + perUpdate[k].writes, 2)]),
      );
      log(`requests per update: ${JSON.stringify(perUpdate)}`);
      Object.assign(json, {
        ddbCallsPerWarmUpdate: Math.max(...Object.values(byRoute)),
        ddbCallsPerWarmUpdateByRoute: byRoute,
        ...roundTripsJson(perUpdate),
        requestsPerUpdate: perUpdate,
      });
    }
    if (parts.includes("cleanup")) {
      const cl = await measureCleanup({
        items: flag("--cleanup-sessions") ?? (quick ? 10_000 : 100_000),
        store: await createBenchStore(dynamo.endpoint, "cleanup"),
        log,
      });
      Object.assign(json, {
        cleanupReadsPerDelete: cl.readsPerDelete,
        cleanupAllReadsPerDelete: cl.allReadsPerDelete,
        cleanupTableItems: cl.tableItems,
        cleanupDeleted: cl.deleted,
        cleanupWritesPerDelete: cl.writesPerDelete,
      });
    }
    if (parts.includes("healthcheck")) {
      const { rows, json: hcJson } = await healthCheckPart(dynamo.endpoint);
      printTable(rows);
      Object.assign(json, hcJson);
    }
  } finally {
    await api.stop();
    await dynamo.stop();
  }
  console.log(JSON.stringify(json));
}

/**
 * Figure 3, the health check at scale (bench/health-check.ts): its table rows and JSON keys, for the full run and
 * `--only=healthcheck`. Sizes: 1,000 sessions and a sequential sample of 50 (`--quick`: 100 and 20;
 * `--health-sessions=N` sets the first).
 */
async function healthCheckPart(
  endpoint: string,
): Promise<{ hc: HealthCheckFigures; rows: Row[]; json: Record<string, unknown> }> {
  const worker = await buildFunction("healthCheckWorker");
  const hcStore = await createBenchStore(endpoint, "health");
  const hc = await measureHealthCheck({
    sessions: flag("--health-sessions") ?? (quick ? 100 : 1_000),
    sequentialSample: quick ? 20 : 50,
    worker,
    store: hcStore,
    log,
  });
  log(`health check: ${JSON.stringify(hc)}`);
  const rows: Row[] = [
    {
      figure: `Health check: ${hc.sessions} sessions, per invocation`,
      measured: `${hc.sessionsPerSecondPerInvocation} sessions/s (${hc.meanInvocationSeconds} s per batch of ${WORKER_BATCH_SIZE})`,
      reference: `${round(1 / hc.sequentialSecondsPerSession, 2)} sessions/s (seed loop)`,
      ratio: "-",
      goal: "-",
      pass: "n/a",
    },
    {
      figure: `Health check: ${FLEET.toLocaleString("en")} sessions projected`,
      measured: `${hc.projectedSeconds} s (max concurrency ${WORKER_MAX_CONCURRENCY}, ${PER_DC_CONCURRENCY} per DC)`,
      reference: `${hc.sequentialProjectedSeconds} s (seed loop)`,
      ratio: `${hc.speedup}×`,
      goal: "< 900 s; ≥ 50×",
      pass: hc.projectedSeconds < 900 && hc.speedup >= 50,
    },
    {
      figure: "Health check: longest invocation",
      measured: `${hc.longestInvocationSeconds} s`,
      reference: `${WORKER_TIMEOUT_SECONDS} s timeout`,
      ratio: `${round(hc.longestInvocationSeconds / WORKER_TIMEOUT_SECONDS, 3)}`,
      goal: "< timeout",
      pass: hc.longestInvocationSeconds < WORKER_TIMEOUT_SECONDS,
    },
    {
      figure: "Health check: peak worker RSS",
      measured: `${hc.peakWorkerRssMb} MB`,
      reference: "1024 MB configured",
      ratio: "-",
      goal: "reported",
      pass: "n/a",
    },
  ];
  const json = {
    healthCheckSpeedup: hc.speedup,
    healthCheckProjectedSeconds: hc.projectedSeconds,
    healthCheckProjectedSeconds100k: hc.projectedSeconds,
    healthCheckFleetProjected: FLEET,
    healthCheckSequentialProjectedSeconds: hc.sequentialProjectedSeconds,
    healthCheckSessionsMeasured: hc.sessions,
    healthCheckSequentialSample: hc.sequentialSample,
    healthCheckSessionsPerSecondPerInvocation: hc.sessionsPerSecondPerInvocation,
    healthCheckSequentialSecondsPerSession: hc.sequentialSecondsPerSession,
    healthCheckMeanInvocationSeconds: hc.meanInvocationSeconds,
    healthCheckFirstInvocationSeconds: hc.firstInvocationSeconds,
    healthCheckLongestInvocationSeconds: hc.longestInvocationSeconds,
    healthCheckInvocations: hc.invocations,
    healthCheckDispatchSeconds: hc.dispatchSeconds,
    healthCheckPeakWorkerRssMb: hc.peakWorkerRssMb,
    healthCheckWorkerCpuMsPerCheck: hc.workerCpuMsPerCheck,
    healthCheckFailedChecks: hc.failedChecks,
    healthCheckOutcomes: hc.outcomes,
  };
  return { hc, rows, json };
}

async function main(): Promise<void> {
  const onlyArg = process.argv.find((a) => a.startsWith("--only="));
  if (onlyArg) return only(onlyArg.slice("--only=".length).split(","));
  const rows: Row[] = [];
  const notes: string[] = [];
  const json: Record<string, unknown> = { quick };
  let dynamo: LocalDynamo | undefined;
  let api: BotApiServer | undefined;
  try {
    log("building the bundles (infra/bundling.ts esbuildOptions) and starting DynamoDB Local");
    const [adminBot, reference, ddb] = await Promise.all([
      buildFunction("adminBot"),
      buildReference(),
      startDynamoDbLocal({ pidFile: ".data/bench-dynamodb.pid" }),
    ]);
    dynamo = ddb;
    api = await startBotApiServer(BOT_INFO);

    // 1. Cold start
    const webhookStore = await createBenchStore(dynamo.endpoint, "webhook");
    await prepareWebhookStore(webhookStore);
    const env = webhookEnv(webhookStore, api);
    const cold: ColdStartFigures = await measureColdStart({
      runs: quick ? 3 : 15,
      adminBot,
      reference,
      env,
      log,
    });
    rows.push({
      figure: "Cold start: load + first /start (median)",
      measured: `${cold.adminBot.medianMs} ms (${mb(cold.gramjs.bytesLoadedOnStart)} loaded of ${mb(cold.adminBot.bytes)})`,
      reference: `${cold.reference.medianMs} ms (${mb(cold.reference.bytes)})`,
      ratio: `${cold.ratio}×`,
      goal: "≤ 1.2×",
      pass: cold.ratio <= 1.2,
    });
    rows.push({
      figure: "GramJS modules run on /start",
      measured: `${cold.gramjs.modulesRunOnStart} of ${cold.gramjs.modulesInBundle} in the bundle`,
      reference: "-",
      ratio: "-",
      goal: "0",
      pass: cold.gramjs.modulesRunOnStart === 0,
    });
    Object.assign(json, coldJson(cold));
    log(
      `cold start: admin bot ${JSON.stringify(cold.adminBot)}, reference ${JSON.stringify(cold.reference)}`,
    );

    // 2. Warm latency
    const phones = await seedSessions(webhookStore, 2_000);
    log("warm latency: 2,000 sessions stored");
    const warm = await measureWarm({
      updates: quick ? 150 : 1_000,
      phones,
      adminBot,
      reference,
      env,
    });
    for (const kind of WARM_KINDS) {
      const k = warm.adminBot[kind];
      rows.push({
        figure: `Warm ${WARM_LABELS[kind]}: p50 / p99`,
        measured: `${k.p50Ms} / ${k.p99Ms} ms`,
        reference: `${warm.reference.p50Ms} / ${warm.reference.p99Ms} ms`,
        ratio: `${round(k.p99Ms / warm.reference.p99Ms, 3)}×`,
        goal: "p99 ≤ 1.5×",
        pass: k.p99Ms / warm.reference.p99Ms <= 1.5,
      });
    }
    Object.assign(json, warmJson(warm));

    const perUpdate = await countPerUpdate(env, phones);
    log(`requests per update: ${JSON.stringify(perUpdate)}`);
    // Round trips to DynamoDB per warm update, route by route (a transaction is one call); the goal is the worst.
    const callsByRoute = Object.fromEntries(
      WARM_KINDS.map((k) => [k, round(perUpdate[k].reads + perUpdate[k].writes, 2)]),
    ) as Record<WarmKind, number>;
    const ddbCallsPerWarmUpdate = Math.max(...Object.values(callsByRoute));
    rows.push({
      figure: "DynamoDB calls per warm update: /start / list / card",
      measured: WARM_KINDS.map((k) => callsByRoute[k]).join(" / "),
      reference: "1 (one admin read)",
      ratio: "-",
      goal: "≤ 2",
      pass: ddbCallsPerWarmUpdate <= 2,
    });
    Object.assign(json, { ddbCallsPerWarmUpdate, ddbCallsPerWarmUpdateByRoute: callsByRoute });
    const trips = roundTripsJson(perUpdate);
    rows.push({
      figure: "DynamoDB round trips per warm update (calls in flight together count once)",
      measured: WARM_KINDS.map((k) => trips.ddbRoundTripsPerWarmUpdateByRoute[k]).join(" / "),
      reference: "1",
      ratio: "-",
      goal: "-",
      pass: "n/a",
    });
    Object.assign(json, trips);

    // 3. Health-check scale
    const { hc, rows: hcRows, json: hcJson } = await healthCheckPart(dynamo.endpoint);
    rows.push(...hcRows);
    Object.assign(json, hcJson);

    // 4. Cleanup cost
    const cleanupItems = flag("--cleanup-sessions") ?? (quick ? 10_000 : 100_000);
    const cl = await measureCleanup({
      items: cleanupItems,
      store: await createBenchStore(dynamo.endpoint, "cleanup"),
      log,
    });
    log(`cleanup: ${JSON.stringify(cl)}`);
    rows.push(
      {
        figure: `Cleanup: ${cl.tableItems.toLocaleString("en")} sessions, ${cl.deleted} old errors`,
        measured: `${cl.readsPerDelete} items read per delete`,
        reference: `Scan: ${cl.scanReadsPerDelete} (${cl.scanItemsRead.toLocaleString("en")} items)`,
        ratio: `${round(cl.readsPerDelete / cl.scanReadsPerDelete, 4)}`,
        goal: "≤ 1.1",
        pass: cl.readsPerDelete <= 1.1,
      },
      {
        figure: "Cleanup: all reads incl. the fleet count",
        measured: `${cl.allReadsPerDelete} items read per delete`,
        reference: `Scan: ${cl.scanReadsPerDelete}`,
        ratio: `${round(cl.allReadsPerDelete / cl.scanReadsPerDelete, 4)}`,
        goal: "reported",
        pass: "n/a",
      },
      {
        figure: "Cleanup: read capacity units per delete",
        measured: `${cl.capacityUnitsPerDelete} RCU (fleet count included)`,
        reference: `Scan: ${round(cl.scanCapacityUnits / cl.deleted, 3)} RCU`,
        ratio: `${round(cl.capacityUnitsPerDelete / (cl.scanCapacityUnits / cl.deleted), 3)}`,
        goal: "reported",
        pass: "n/a",
      },
    );
    Object.assign(json, {
      cleanupReadsPerDelete: cl.readsPerDelete,
      cleanupAllReadsPerDelete: cl.allReadsPerDelete,
      cleanupCapacityUnitsPerDelete: cl.capacityUnitsPerDelete,
      cleanupScanReadsPerDelete: cl.scanReadsPerDelete,
      cleanupScanItemsRead: cl.scanItemsRead,
      cleanupScanCapacityUnits: cl.scanCapacityUnits,
      cleanupTableItems: cl.tableItems,
      cleanupDeleted: cl.deleted,
      cleanupSeconds: cl.cleanupSeconds,
      cleanupSeedSeconds: cl.seedSeconds,
    });

    // 5. Load held: a burst through the real handler, duplicates and throttling included
    const load = await measureLoad({
      updates: quick ? 300 : 2_000,
      endpoint: dynamo.endpoint,
      log,
    });
    rows.push({
      figure: `Load: ${load.updates.toLocaleString("en")} updates, 50 admins, 20% twice, 5% of DynamoDB attempts throttled`,
      measured: `lost ${load.updatesLost}, twice ${load.updatesProcessedTwice}; p99 ${load.p99Ms} ms`,
      reference: `${load.deliveries.toLocaleString("en")} deliveries, ${load.throttled} throttled`,
      ratio: "-",
      goal: "0 lost, 0 twice",
      pass: load.updatesLost === 0 && load.updatesProcessedTwice === 0,
    });
    Object.assign(json, {
      loadUpdatesLost: load.updatesLost,
      loadUpdatesProcessedTwice: load.updatesProcessedTwice,
      loadUpdates: load.updates,
      loadDeliveries: load.deliveries,
      loadThrottledAttempts: load.throttled,
      loadP50Ms: load.p50Ms,
      loadP99Ms: load.p99Ms,
      loadSeconds: load.seconds,
    });

    // 6. Cost on paper
    const inputs = { cold, warm, perUpdate, hc, cleanup: cl };
    const costs = [1_000, 100_000].map((n) => monthlyCost(n, inputs));
    for (const c of costs) {
      rows.push({
        figure: `Cost per month, ${c.sessions.toLocaleString("en")} sessions`,
        measured: `$${c.total.toFixed(2)}`,
        reference: `λ ${c.lambda} · DDB ${c.dynamodb} · KMS ${c.kms} · SQS ${c.sqs} · API ${c.apiGateway} · SM ${c.secretsManager}`,
        ratio: "-",
        goal: "reported",
        pass: "n/a",
      });
    }
    notes.push(
      `Prices (us-east-1 list, no free tier, as known in 2025; check aws.amazon.com/<service>/pricing): ` +
        `Lambda arm64 $${PRICES.lambdaArmGbSecond}/GB-s + $${PRICES.lambdaPerMillionRequests}/M requests; ` +
        `DynamoDB on-demand $${PRICES.dynamoPerMillionReadUnits}/M RRU, $${PRICES.dynamoPerMillionWriteUnits}/M WRU, ` +
        `$${PRICES.dynamoStorageGbMonth}/GB-month; KMS $${PRICES.kmsKeyMonth}/key-month + $${PRICES.kmsPer10kRequests}/10k requests; ` +
        `SQS $${PRICES.sqsPerMillionRequests}/M requests; HTTP API $${PRICES.httpApiPerMillionRequests}/M requests; ` +
        `Secrets Manager $${PRICES.secretMonth}/secret-month.`,
      `Usage assumed: ${USAGE.botUpdatesPerMonth} bot updates/month (2 admins × 50/day), ${USAGE.coldShare * 100}% of them cold; ` +
        `a health check of every session daily; weekly cleanup deleting ${USAGE.cleanupShare * 100}% of the fleet; ` +
        `${USAGE.kmsKeys} KMS keys, ${USAGE.secrets} secrets; idle SQS polling ${USAGE.idleSqsPollsPerMonth.toLocaleString("en")} requests/month. ` +
        `Per check (counted): ${JSON.stringify(hc.perCheck)}; per update: ${JSON.stringify(perUpdate)}.`,
    );
    Object.assign(json, {
      monthlyCostUsdPer1000: costs[0]!.total,
      monthlyCostUsdPer100000: costs[1]!.total,
      monthlyCostBreakdownPer1000: costs[0],
      monthlyCostBreakdownPer100000: costs[1],
      costPrices: PRICES,
      costUsage: USAGE,
      requestsPerCheck: hc.perCheck,
      requestsPerUpdate: perUpdate,
    });
  } finally {
    await api?.stop();
    await dynamo?.stop();
  }
  printTable(rows);
  for (const n of notes) console.log(n);
  json.benchSeconds = Math.round((Date.now() - started) / 1000);
  console.log(JSON.stringify(json));
}

/** The cold start's keys of the last-line JSON (the full run and `--only=cold` print the same). */
function coldJson(cold: ColdStartFigures): Record<string, unknown> {
  return {
    coldStartRatio: cold.ratio,
    coldStartMs: cold.adminBot.medianMs,
    coldStartReferenceMs: cold.reference.medianMs,
    coldStartProcessMs: cold.adminBot.medianTotalMs,
    coldStartReferenceProcessMs: cold.reference.medianTotalMs,
    coldStartRuns: cold.runs,
    coldStartLoadMs: cold.adminBot.medianLoadMs,
    coldStartFirstUpdateMs: cold.adminBot.medianFirstMs,
    coldStartReferenceLoadMs: cold.reference.medianLoadMs,
    coldStartReferenceFirstUpdateMs: cold.reference.medianFirstMs,
    adminBotBundleBytes: cold.adminBot.bytes,
    adminBotBytesLoadedOnStart: cold.gramjs.bytesLoadedOnStart,
    referenceBundleBytes: cold.reference.bytes,
    gramjsModulesRunOnStart: cold.gramjs.modulesRunOnStart,
    gramjsModulesInAdminBotBundle: cold.gramjs.modulesInBundle,
  };
}

/**
 * DynamoDB round trips per warm update by route: what an update waits for, where the calls count what is billed. A card
 * reads its session alongside the update's claim, so its 3 calls are 2 round trips.
 */
function roundTripsJson(perUpdate: Record<WarmKind, RequestCount>): {
  ddbRoundTripsPerWarmUpdate: number;
  ddbRoundTripsPerWarmUpdateByRoute: Record<WarmKind, number>;
} {
  const byRoute = Object.fromEntries(WARM_KINDS.map((k) => [k, perUpdate[k].roundTrips])) as Record<
    WarmKind,
    number
  >;
  return {
    ddbRoundTripsPerWarmUpdate: Math.max(...Object.values(byRoute)),
    ddbRoundTripsPerWarmUpdateByRoute: byRoute,
  };
}

/** The warm latency's keys of the last-line JSON (the full run and `--only=warm` print the same). */
function warmJson(warm: WarmFigures): Record<string, unknown> {
  return {
    warmP99Ratio: warm.ratio,
    warmUpdates: warm.updates,
    warmSessionsStored: warm.sessionsStored,
    warmReferenceP50Ms: warm.reference.p50Ms,
    warmReferenceP99Ms: warm.reference.p99Ms,
    ...Object.fromEntries(
      WARM_KINDS.flatMap((k) => [
        [`warm${cap(k)}P50Ms`, warm.adminBot[k].p50Ms],
        [`warm${cap(k)}P99Ms`, warm.adminBot[k].p99Ms],
      ]),
    ),
  };
}

const WARM_LABELS: Record<WarmKind, string> = {
  start: "/start",
  sessionsList: "Sessions list",
  sessionCard: "session card",
};

function cap(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(2)} MB`;
}

function printTable(rows: Row[]): void {
  const cells = rows.map((r) => [
    r.figure,
    r.measured,
    r.reference,
    r.ratio,
    r.goal,
    r.pass === "n/a" ? "n/a" : r.pass ? "pass" : "FAIL",
  ]);
  const head = ["figure", "measured", "reference", "ratio", "goal", "result"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join(" | ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("-|-"));
  for (const c of cells) console.log(line(c));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
