/**
 * Lambda entry point: the health check's worker (SQS event source, batch size 10, ReportBatchItemFailures on).
 * Checks the batch's sessions through the userbot layer and answers which messages failed.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { botApiNotifier } from "../lib/bot/health-summary";
import { parseEnv } from "../lib/config";
import { createJobRuntime, workerEnvShape } from "../lib/jobs/runtime";
import { handleWorkerBatch, type WorkerDeps } from "../lib/jobs/worker";
import { importTelegram } from "../lib/wiring";

/** The handler over its dependencies; tests build it on DynamoDB Local, `handler` on the Lambda's environment. */
export function createWorkerHandler(build: () => WorkerDeps | Promise<WorkerDeps>) {
  let ready: Promise<WorkerDeps> | undefined;
  return async (
    event: SQSEvent,
    context: Pick<Context, "getRemainingTimeInMillis">,
  ): Promise<SQSBatchResponse> => {
    // Built on the first invocation; a failed build (a bad setting) is tried again by the next one.
    ready ??= Promise.resolve()
      .then(build)
      .catch((err: unknown) => {
        ready = undefined;
        throw err;
      });
    const deps = await ready;
    try {
      return await handleWorkerBatch(event, deps, {
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
      });
    } finally {
      deps.metrics.flush();
    }
  };
}

export const handler = createWorkerHandler(async () => {
  const { WORKER_CONCURRENCY, CHECK_DEADLINE_MS } = parseEnv(workerEnvShape, process.env);
  const runtime = createJobRuntime("health-check-worker", process.env, { telegram: importTelegram });
  return {
    ...runtime,
    userbots: (await runtime.userbots()).userbots,
    // One message per run, to every admin in their language; the bot token is read only when a summary is sent.
    notify: botApiNotifier({
      botToken: () => runtime.secrets.botToken(),
      admins: runtime.admins,
      logger: runtime.logger,
    }),
    concurrency: WORKER_CONCURRENCY,
    checkDeadlineMs: CHECK_DEADLINE_MS,
  };
});
