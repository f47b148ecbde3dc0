/**
 * Figure 3, health-check scale. N active sessions live at a loopback MTProto DC (test/support/mtproto) that answers
 * getMe after 300 ms. The worker bundle's own GramJS client (nothing stubbed) dials Telegram's address for the
 * session's DC, as deployed; the child process routes those addresses to the loopback DC (its socket connect is
 * redirected, as a network route would), and every measured check must come out healthy or the bench stops. The
 * dispatcher runs in this process with the in-memory queue; its SQS events are fed to the worker bundle (built as
 * deployed: batch `WORKER_BATCH_SIZE` (8), WORKER_CONCURRENCY 10) in a fresh Node process, one invocation after
 * another, as one warm Lambda container receives them, each with the 60 s timeout as its remaining time.
 *
 * The seed's design (one loop, one session after another) is measured on a sample through the same bundle with
 * WORKER_CONCURRENCY=1, in its own process.
 *
 * Projection of a 100,000-session run: the longer of the dispatch (its time scaled linearly from N) and the checks
 * (100,000 / 8 batches shared by the event source's maximum concurrency, 10 workers in parallel, each its own
 * Lambda, at the measured mean invocation time), since the dispatcher queues page by page while the workers already
 * check what is queued; plus the first page's dispatch (no worker has work before it) and one cold start's extra.
 * It assumes the 10 workers do not slow each other down, as separate Lambdas do not; here one worker runs at a
 * time on a shared machine. The worker runs as deployed, with its per-data-centre cap (8) and start jitter (up to
 * 100 ms): every bench session lives on the one loopback DC, the worst case for that cap, so the projection is the
 * pacing's own bound, 80 connections to one DC fleet-wide.
 * The sequential design's projection is 100,000 × its measured seconds per session.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import type { SQSEvent } from "aws-lambda";
import { createDispatchHandler } from "../functions/health-check-dispatch";
import { botApiNotifier } from "../lib/bot/health-summary";
import { noMetrics } from "../lib/jobs/metrics";
import { InMemoryCheckQueue } from "../lib/jobs/queue";
import { HealthCheckRuns } from "../lib/jobs/runs";
import { createJobRuntime } from "../lib/jobs/runtime";
import {
  DISPATCH_PAGE_SIZE,
  WORKER_BATCH_SIZE,
  WORKER_MAX_CONCURRENCY,
  WORKER_TIMEOUT_SECONDS,
} from "../lib/jobs/scale";
import { normalizePhone } from "../lib/sessions";
import { AdminRepository } from "../lib/bot-state/admins";
import { PRODUCTION_DC_IPV4 } from "../lib/telegram/connection";
import { startLoopbackDc } from "../test/support/mtproto/loopback-dc";
import { API_HASH, API_ID } from "../test/support/mtproto/dc-harness";
import { countPerCheck, type RequestCount } from "./counts";
import { BENCH_DIR, type Bundle } from "./lib/bundles";
import { runNode } from "./lib/child";
import { BOT_TOKEN } from "./lib/events";
import { median, pool, round } from "./lib/stats";
import type { BenchStore } from "./lib/store";

export const FLEET = 100_000;
export const GETME_DELAY_MS = 300;
/** Sessions whose checks are run in this process with counting clients (requests per check, for the cost). */
export const COUNT_SAMPLE = 2 * WORKER_BATCH_SIZE;

const WORKER_PROGRAM = `
const { performance } = require("node:perf_hooks");
const fs = require("node:fs");
const net = require("node:net");
// The bundle dials Telegram's own address for the session's DC (lib/telegram/connection.ts pins it, and the
// Lambda bundle has no test seam); this process's routing sends those addresses to the loopback DC instead, as a
// route would. Nothing in the bundle changes; the count proves the checks reached the DC.
const route = JSON.parse(process.env.BENCH_TELEGRAM_ROUTE);
let routed = 0;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  if (typeof args[0] === "number" && route[args[1]]) { args[1] = route[args[1]]; routed++; }
  else if (args[0] && typeof args[0] === "object" && route[args[0].host]) {
    args[0] = { ...args[0], host: route[args[0].host] };
    routed++;
  }
  return connect.apply(this, args);
};
const { handler } = require(process.env.BENCH_BUNDLE);
const events = JSON.parse(fs.readFileSync(process.env.BENCH_EVENTS, "utf8"));
const timeoutMs = Number(process.env.BENCH_TIMEOUT_MS);
(async () => {
  const invocations = [];
  let failures = 0;
  const cpu0 = process.cpuUsage();
  for (const event of events) {
    const deadline = Date.now() + timeoutMs;
    const t = performance.now();
    const out = await handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
    invocations.push(performance.now() - t);
    failures += out.batchItemFailures.length;
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write("\\nBENCH " + JSON.stringify({
    invocations, failures, routed, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (cpu.user + cpu.system) / 1000,
  }) + "\\n");
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });`;

interface WorkerRun {
  readonly invocations: number[];
  readonly failures: number;
  /** Connections to Telegram's addresses sent to the loopback DC. */
  readonly routed: number;
  readonly maxRssMb: number;
  readonly cpuMs: number;
}

export interface HealthCheckFigures {
  readonly sessions: number;
  readonly sequentialSample: number;
  readonly dispatchSeconds: number;
  readonly invocations: number;
  readonly meanInvocationSeconds: number;
  readonly firstInvocationSeconds: number;
  readonly longestInvocationSeconds: number;
  readonly sessionsPerSecondPerInvocation: number;
  readonly sequentialSecondsPerSession: number;
  readonly projectedSeconds: number;
  readonly sequentialProjectedSeconds: number;
  readonly speedup: number;
  readonly peakWorkerRssMb: number;
  readonly workerCpuMsPerCheck: number;
  readonly failedChecks: number;
  /** The run's counters after every batch: how the measured checks ended (all healthy, or the figure is not a check's). */
  readonly outcomes: Record<string, number>;
  /** AWS requests per check, counted on the same code path in this process. */
  readonly perCheck: RequestCount;
}

export async function measureHealthCheck(options: {
  sessions: number;
  sequentialSample: number;
  worker: Bundle;
  store: BenchStore;
  log: (line: string) => void;
}): Promise<HealthCheckFigures> {
  const { store, log } = options;
  // Whole batches only, so every invocation measured holds a full batch.
  const wholeBatches = (n: number) => Math.ceil(n / WORKER_BATCH_SIZE) * WORKER_BATCH_SIZE;
  options = {
    ...options,
    sessions: wholeBatches(options.sessions),
    sequentialSample: wholeBatches(options.sequentialSample),
  };
  const dc = await startLoopbackDc();
  try {
    const total = options.sessions + options.sequentialSample + COUNT_SAMPLE;
    const repo = store.sessions();
    await pool(
      Array.from({ length: total }, (_, i) => i),
      16,
      async (i) => {
        const phone = normalizePhone(`+99891${String(1_000_000 + i)}`);
        const { sessionString } = dc.addAccount({ phone, userId: 600_000 + i, firstName: `Fleet ${i}` });
        await repo.create({ phone, sessionString, account: { userId: String(600_000 + i) } });
      },
    );
    dc.script("*", { method: "users.GetUsers", delayMs: GETME_DELAY_MS });
    log(`health check: ${total} sessions at the loopback DC ${dc.host}, getMe after ${GETME_DELAY_MS} ms`);

    const env = { ...store.env, API_ID: String(API_ID), API_HASH: API_HASH, BOT_TOKEN, LOG_LEVEL: "SILENT" };
    const queue = new InMemoryCheckQueue();
    let runs!: HealthCheckRuns;
    const dispatch = createDispatchHandler(() => {
      const runtime = createJobRuntime("health-check-dispatch", env);
      return {
        ...runtime,
        // Its CloudWatch EMF line would land on the benchmark's stdout, before the JSON.
        metrics: noMetrics,
        runs: (runs = new HealthCheckRuns(runtime.doc, runtime.botStateTable, runtime.now)),
        queue,
        notify: botApiNotifier({
          botToken: async () => BOT_TOKEN,
          admins: new AdminRepository(runtime.doc, runtime.botStateTable),
        }),
      };
    });
    const t0 = performance.now();
    const dispatched = await dispatch({ scheduledTime: new Date().toISOString() });
    const dispatchSeconds = (performance.now() - t0) / 1000;
    if (dispatched.queued !== total) throw new Error(`dispatch queued ${dispatched.queued} of ${total}`);
    const events: SQSEvent[] = queue.drain(WORKER_BATCH_SIZE);
    const sampleBatches = options.sequentialSample / WORKER_BATCH_SIZE;
    const runWorker = (name: string, batch: SQSEvent[], extra: Record<string, string>) => {
      const file = path.join(BENCH_DIR, `${name}-events.json`);
      writeFileSync(file, JSON.stringify(batch));
      return runNode<WorkerRun>(
        WORKER_PROGRAM,
        {
          ...env,
          ...extra,
          BENCH_BUNDLE: options.worker.file,
          BENCH_EVENTS: file,
          BENCH_TIMEOUT_MS: String(WORKER_TIMEOUT_SECONDS * 1000),
          BENCH_TELEGRAM_ROUTE: JSON.stringify(
            Object.fromEntries(Object.values(PRODUCTION_DC_IPV4).map((ip) => [ip, dc.host])),
          ),
          NODE_OPTIONS: "--enable-source-maps",
        },
        { timeoutMs: 600_000 },
      );
    };
    // The seed's loop: one session after another, same code, one process.
    const sequential = await runWorker("sequential", events.slice(0, sampleBatches), {
      WORKER_CONCURRENCY: "1",
    });
    log(`health check: sequential sample done (${sequential.invocations.length} batches)`);
    const countBatches = COUNT_SAMPLE / WORKER_BATCH_SIZE;
    const parallel = await runWorker(
      "parallel",
      events.slice(sampleBatches, events.length - countBatches),
      {},
    );
    log(`health check: ${parallel.invocations.length} worker invocations done`);

    const run = await runs.get(dispatched.runId);
    const outcomes = Object.fromEntries(
      (["healthy", "failed", "floodWaited", "transient", "frozen", "skipped", "gaveUp"] as const).map((k) => [
        k,
        Number(run?.[k] ?? 0),
      ]),
    );
    const healthy = outcomes.healthy ?? 0;
    if (healthy !== options.sessions + options.sequentialSample) {
      // A figure of checks that never reached the DC (connect failures, timeouts) measures nothing: stop here.
      throw new Error(
        `health check: ${healthy} of ${options.sessions + options.sequentialSample} measured checks were ` +
          `healthy (${JSON.stringify(outcomes)}; ${parallel.routed + sequential.routed} connections routed ` +
          `to the loopback DC): the timing would not be a check's`,
      );
    }
    const perCheck = await countPerCheck(store, events.slice(events.length - countBatches), dc.createClient);
    const inv = parallel.invocations.map((ms) => ms / 1000);
    const meanInvocationSeconds = inv.reduce((a, b) => a + b, 0) / inv.length;
    const firstInvocationSeconds = inv[0]!;
    const coldExtra = Math.max(0, firstInvocationSeconds - median(inv));
    const checked = options.sessions;
    const sequentialSeconds = sequential.invocations.reduce((a, b) => a + b, 0) / 1000;
    // The sample's first batch carries the process's cold start: leave it out of the per-session time.
    const seqWarm = sequential.invocations.slice(1).reduce((a, b) => a + b, 0) / 1000;
    const seqSessions = options.sequentialSample - WORKER_BATCH_SIZE;
    const sequentialSecondsPerSession =
      seqSessions > 0 ? seqWarm / seqSessions : sequentialSeconds / options.sequentialSample;
    // The dispatcher queues page by page and the workers take each batch as soon as it is on the queue, so the two
    // overlap: the run takes the longer of the two, plus the first page's dispatch before any worker has work.
    const dispatchProjected = dispatchSeconds * (FLEET / total);
    const checksProjected =
      (Math.ceil(FLEET / WORKER_BATCH_SIZE) / WORKER_MAX_CONCURRENCY) * meanInvocationSeconds;
    const projectedSeconds =
      Math.max(dispatchProjected, checksProjected) +
      dispatchSeconds * (Math.min(DISPATCH_PAGE_SIZE, total) / total) +
      coldExtra;
    const sequentialProjectedSeconds = FLEET * sequentialSecondsPerSession;
    return {
      sessions: checked,
      sequentialSample: options.sequentialSample,
      dispatchSeconds: round(dispatchSeconds, 2),
      invocations: inv.length,
      meanInvocationSeconds: round(meanInvocationSeconds, 3),
      firstInvocationSeconds: round(firstInvocationSeconds, 3),
      longestInvocationSeconds: round(Math.max(...inv), 3),
      sessionsPerSecondPerInvocation: round(WORKER_BATCH_SIZE / meanInvocationSeconds, 2),
      sequentialSecondsPerSession: round(sequentialSecondsPerSession, 3),
      projectedSeconds: round(projectedSeconds, 1),
      sequentialProjectedSeconds: round(sequentialProjectedSeconds, 0),
      speedup: round(sequentialProjectedSeconds / projectedSeconds, 1),
      peakWorkerRssMb: round(Math.max(parallel.maxRssMb, sequential.maxRssMb), 1),
      workerCpuMsPerCheck: round(parallel.cpuMs / checked, 1),
      failedChecks: parallel.failures + sequential.failures,
      outcomes,
      perCheck,
    };
  } finally {
    await dc.stop();
  }
}
