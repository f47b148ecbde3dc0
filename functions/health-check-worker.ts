/**
 * Lambda entry point: the health check's worker (SQS event source, batch size 10, ReportBatchItemFailures on).
 * Checks the batch's sessions through the userbot layer and answers which messages failed.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { botApiNotifier } from "../lib/bot/health-summary";
import { loadDefaultDeviceIdentity, parseEnv } from "../lib/config";
import { HealthCheckRuns } from "../lib/jobs/runs";
import { AdminRepository } from "../lib/bot-state/admins";
import { createJobRuntime, workerEnvShape } from "../lib/jobs/runtime";
import { handleWorkerBatch, type WorkerDeps } from "../lib/jobs/worker";
import { createSecretSource } from "../lib/secrets";
import { createUserbotServices } from "../lib/telegram";

/** The handler over its dependencies; tests build it on DynamoDB Local, `handler` on the Lambda's environment. */
export function createWorkerHandler(build: () => WorkerDeps) {
  let deps: WorkerDeps | undefined;
  return async (
    event: SQSEvent,
    context: Pick<Context, "getRemainingTimeInMillis">,
  ): Promise<SQSBatchResponse> => {
    deps ??= build();
    try {
      return await handleWorkerBatch(event, deps, {
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
      });
    } finally {
      deps.metrics.flush();
    }
  };
}

export const handler = createWorkerHandler(() => {
  const { WORKER_CONCURRENCY, CHECK_DEADLINE_MS } = parseEnv(workerEnvShape, process.env);
  const runtime = createJobRuntime("health-check-worker");
  const secrets = createSecretSource(process.env);
  return {
    ...runtime,
    runs: new HealthCheckRuns(runtime.doc, runtime.botStateTable, runtime.now),
    userbots: createUserbotServices({
      sessions: runtime.sessions,
      doc: runtime.doc,
      botStateTable: runtime.botStateTable,
      cipher: runtime.cipher,
      // Asked on each check and cached by Powertools Parameters: a rotated API hash is picked up without a deploy.
      credentials: () => secrets.telegramApi(),
      defaultIdentity: loadDefaultDeviceIdentity(process.env),
      logger: runtime.logger,
      audit: runtime.audit,
      now: runtime.now,
    }).userbots,
    // One message per run, to every admin in their language; the bot token is read only when a summary is sent.
    notify: botApiNotifier({
      botToken: () => secrets.botToken(),
      admins: new AdminRepository(runtime.doc, runtime.botStateTable),
      logger: runtime.logger,
    }),
    concurrency: WORKER_CONCURRENCY,
    checkDeadlineMs: CHECK_DEADLINE_MS,
  };
});
