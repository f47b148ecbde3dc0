/**
 * Figure 5, cost on paper: dollars per month for a fleet of 1,000 and of 100,000 sessions, from this run's measured
 * durations and counted requests, at AWS list prices for us-east-1 (on-demand, no free tier) as known to the author
 * in 2025. Check them at https://aws.amazon.com/lambda/pricing/, /dynamodb/pricing/on-demand/, /kms/pricing/,
 * /sqs/pricing/, /api-gateway/pricing/ and /secrets-manager/pricing/ before relying on them.
 */
import type { ColdStartFigures } from "./cold-start";
import type { RequestCount } from "./counts";
import type { CleanupFigures } from "./cleanup";
import { COUNT_SAMPLE, type HealthCheckFigures } from "./health-check";
import { WORKER_BATCH_SIZE } from "../lib/jobs/scale";
import { round } from "./lib/stats";
import type { WarmFigures } from "./warm";

export const PRICES = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  dynamoPerMillionReadUnits: 0.125,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoStorageGbMonth: 0.25,
  kmsKeyMonth: 1.0,
  kmsPer10kRequests: 0.03,
  sqsPerMillionRequests: 0.4,
  httpApiPerMillionRequests: 1.0,
  secretMonth: 0.4,
} as const;

/** What the cost model assumes beyond what the run measured; printed with the figure. */
export const USAGE = {
  /** Webhook updates per month: 2 admins × 50 updates a day × 30 days. */
  botUpdatesPerMonth: 3_000,
  /** Share of updates that meet a cold container (an admin's first tap after a quiet spell). */
  coldShare: 0.25,
  healthRunsPerMonth: 30,
  cleanupRunsPerMonth: 4.35,
  /** Share of the fleet the weekly cleanup deletes (the benchmark's 1%). */
  cleanupShare: 0.01,
  /** Bytes per session item including its copy in the byStatus index (projection ALL, ciphertext ~0.5 KB). */
  bytesPerSession: 2_400,
  /** Memory per function, MB, as the service stack configures them. */
  memoryMb: { adminBot: 1024, worker: 1024, dispatch: 256, cleanup: 512 },
  /** KMS keys: the session key and the tables' key. Secrets: the app secret and the webhook secret. */
  kmsKeys: 2,
  secrets: 2,
  /** SQS requests the event source's pollers make while the queue is empty (5 pollers, 20 s long polls). */
  idleSqsPollsPerMonth: 5 * 3 * 60 * 24 * 30,
  /**
   * SQS requests per check beyond the idle polls: SendMessageBatch per 10 sent, ReceiveMessage and
   * DeleteMessageBatch per batch the worker gets.
   */
  sqsRequestsPerCheck: 0.1 + 2 / WORKER_BATCH_SIZE,
  /** The dispatcher's index read per session (eventually consistent, ~1 KB items, 100 per page). */
  dispatchReadUnitsPerSession: 0.125,
} as const;

export interface CostInputs {
  readonly cold: ColdStartFigures;
  readonly warm: WarmFigures;
  readonly perUpdate: Record<"start" | "sessionsList" | "sessionCard", RequestCount>;
  readonly hc: HealthCheckFigures;
  readonly cleanup: CleanupFigures;
}

export interface MonthlyCost {
  readonly sessions: number;
  readonly lambda: number;
  readonly dynamodb: number;
  readonly kms: number;
  readonly sqs: number;
  readonly apiGateway: number;
  readonly secretsManager: number;
  readonly total: number;
}

export function monthlyCost(sessions: number, m: CostInputs): MonthlyCost {
  const p = PRICES;
  const u = USAGE;
  const gbs = (seconds: number, mb: number) => seconds * (mb / 1024);
  // Health check: batches of WORKER_BATCH_SIZE at the measured mean invocation time; dispatch scaled per session.
  const checks = sessions * u.healthRunsPerMonth;
  const batches = checks / WORKER_BATCH_SIZE;
  const workerGbs = gbs(batches * m.hc.meanInvocationSeconds, u.memoryMb.worker);
  const perSessionDispatch = m.hc.dispatchSeconds / (m.hc.sessions + m.hc.sequentialSample + COUNT_SAMPLE);
  const dispatchGbs = gbs(u.healthRunsPerMonth * sessions * perSessionDispatch, u.memoryMb.dispatch);
  const cleanupGbs = gbs(
    u.cleanupRunsPerMonth * (m.cleanup.cleanupSeconds / m.cleanup.tableItems) * sessions,
    u.memoryMb.cleanup,
  );
  const updates = u.botUpdatesPerMonth;
  const kinds = ["start", "sessionsList", "sessionCard"] as const;
  const warmSeconds = kinds.reduce((a, k) => a + m.warm.adminBot[k].p50Ms, 0) / kinds.length / 1000;
  const botGbs = gbs(
    updates * (warmSeconds + u.coldShare * (m.cold.adminBot.medianMs / 1000)),
    u.memoryMb.adminBot,
  );
  const lambdaRequests = batches + u.healthRunsPerMonth + u.cleanupRunsPerMonth + updates;
  const lambda =
    (workerGbs + dispatchGbs + cleanupGbs + botGbs) * p.lambdaArmGbSecond +
    (lambdaRequests / 1e6) * p.lambdaPerMillionRequests;

  // DynamoDB: counted units per check and per update; /start's fleet count grows with the fleet (measured at 2,000).
  const perUpdateRead = (k: (typeof kinds)[number]) =>
    k === "start"
      ? m.perUpdate.start.readUnits * (sessions / m.warm.sessionsStored)
      : m.perUpdate[k].readUnits;
  const botReadUnits = (updates / 3) * kinds.reduce((a, k) => a + perUpdateRead(k), 0);
  const botWriteUnits = (updates / 3) * kinds.reduce((a, k) => a + m.perUpdate[k].writeUnits, 0);
  const deletes = sessions * u.cleanupShare * u.cleanupRunsPerMonth;
  const readUnits =
    checks * (m.hc.perCheck.readUnits + u.dispatchReadUnitsPerSession) +
    botReadUnits +
    deletes * m.cleanup.capacityUnitsPerDelete;
  const writeUnits = checks * m.hc.perCheck.writeUnits + botWriteUnits + deletes * m.cleanup.writesPerDelete;
  const storageGb = (sessions * u.bytesPerSession) / 1e9;
  const dynamodb =
    (readUnits / 1e6) * p.dynamoPerMillionReadUnits +
    (writeUnits / 1e6) * p.dynamoPerMillionWriteUnits +
    storageGb * p.dynamoStorageGbMonth;

  const kms = u.kmsKeys * p.kmsKeyMonth + ((checks * m.hc.perCheck.kms) / 1e4) * p.kmsPer10kRequests;
  const sqs = ((u.idleSqsPollsPerMonth + checks * u.sqsRequestsPerCheck) / 1e6) * p.sqsPerMillionRequests;
  const apiGateway = (updates / 1e6) * p.httpApiPerMillionRequests;
  const secretsManager = u.secrets * p.secretMonth;
  const total = lambda + dynamodb + kms + sqs + apiGateway + secretsManager;
  const r = (x: number) => round(x, 2);
  return {
    sessions,
    lambda: r(lambda),
    dynamodb: r(dynamodb),
    kms: r(kms),
    sqs: r(sqs),
    apiGateway: r(apiGateway),
    secretsManager: r(secretsManager),
    total: r(total),
  };
}
