/**
 * What every job Lambda builds once per container: its settings, its logger and metrics, and the dependencies
 * lib/wiring.ts builds from the configuration (the tables, the cipher, the secrets, the userbot layer for the
 * worker). Kept here so the three handlers stay a few lines each.
 */
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { parseEnv, registerHints, type Env } from "../config";
import * as z from "../zod";
import { blankIsUnset } from "../zod";
import type { EnvelopeCipher } from "../crypto";
import { createLogger, type Logger } from "../log";
import type { SecretSource } from "../secrets";
import type { SessionRepository } from "../sessions/repository";
import type { AdminRepository } from "../bot-state/admins";
import type { AuditLog } from "../bot-state/audit";
import { createDependencies, type TelegramLoader, type UserbotServices } from "../wiring";
import type { CleanupLog } from "./cleanup-log";
import type { HealthCheckRuns } from "./runs";
import { DEFAULT_CLEANUP_AFTER_DAYS } from "./cleanup";
import { powertoolsMetrics, type JobMetrics } from "./metrics";
import { DEFAULT_CHECK_DEADLINE_MS, DEFAULT_WORKER_CONCURRENCY } from "./scale";

registerHints({
  HEALTH_CHECK_QUEUE_URL: "set it to the health check queue URL (the stack output HealthCheckQueueUrl)",
  WORKER_CONCURRENCY:
    "set it to a whole number from 1 to 50 (checks in flight per invocation), or unset it for 10",
  CHECK_DEADLINE_MS:
    "set it to milliseconds from 5000 to 120000 (the limit for one check), or unset it for 20000",
  CLEANUP_AFTER_DAYS: "set it to a whole number of days, at least 1, or unset it for 30",
  POWERTOOLS_METRICS_NAMESPACE: "set it to the CloudWatch namespace for metrics, e.g. SessionKeeper",
});

/** A whole number from the environment within [min, max], or `fallback` when unset. */
function wholeNumber(min: number, max: number, fallback: number) {
  return blankIsUnset(
    z._default(z.pipe(z.coerce.number(), z.int().check(z.minimum(min), z.maximum(max))), fallback),
  );
}

export const jobEnvShape = {
  POWERTOOLS_SERVICE_NAME: blankIsUnset(z._default(z.string(), "session-keeper")),
  POWERTOOLS_METRICS_NAMESPACE: blankIsUnset(z._default(z.string(), "SessionKeeper")),
};
export const dispatchEnvShape = { ...jobEnvShape, HEALTH_CHECK_QUEUE_URL: z.url() };
export const workerEnvShape = {
  ...jobEnvShape,
  WORKER_CONCURRENCY: wholeNumber(1, 50, DEFAULT_WORKER_CONCURRENCY),
  CHECK_DEADLINE_MS: wholeNumber(5_000, 120_000, DEFAULT_CHECK_DEADLINE_MS),
};
export const cleanupEnvShape = {
  ...jobEnvShape,
  CLEANUP_AFTER_DAYS: wholeNumber(1, Number.MAX_SAFE_INTEGER, DEFAULT_CLEANUP_AFTER_DAYS),
};

export interface JobRuntime {
  readonly doc: DynamoDBDocumentClient;
  /** The session key, for the userbot layer (a half-finished login is encrypted like a session). */
  readonly cipher: EnvelopeCipher;
  readonly botStateTable: string;
  readonly sessions: SessionRepository;
  readonly admins: AdminRepository;
  readonly audit: AuditLog;
  readonly runs: HealthCheckRuns;
  readonly cleanups: CleanupLog;
  readonly secrets: SecretSource;
  /** The userbot layer, loaded on first call (only where `createJobRuntime` was given its loader). */
  userbots(): Promise<UserbotServices>;
  readonly logger: Logger;
  readonly metrics: JobMetrics;
  readonly now: () => Date;
}

/**
 * Builds the shared dependencies of a job from the environment. `job` names the function in logs and metrics;
 * `telegram` loads the userbot layer, for the job that checks sessions.
 */
export function createJobRuntime(
  job: string,
  env: Env = process.env,
  options: { telegram?: TelegramLoader } = {},
): JobRuntime {
  const { POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE } = parseEnv(jobEnvShape, env);
  const logger = createLogger({ service: POWERTOOLS_SERVICE_NAME, persistentKeys: { function: job } });
  const deps = createDependencies({
    env,
    logger,
    ...(options.telegram ? { telegram: options.telegram } : {}),
  });
  const metrics = new Metrics({
    namespace: POWERTOOLS_METRICS_NAMESPACE,
    serviceName: POWERTOOLS_SERVICE_NAME,
    defaultDimensions: { job },
  });
  return {
    doc: deps.doc,
    cipher: deps.cipher,
    botStateTable: deps.config.botStateTable,
    sessions: deps.sessions,
    admins: deps.admins,
    audit: deps.audit,
    runs: deps.runs,
    cleanups: deps.cleanups,
    secrets: deps.secrets,
    userbots: deps.userbots,
    logger,
    metrics: powertoolsMetrics(metrics),
    now: deps.now,
  };
}
