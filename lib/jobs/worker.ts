/**
 * The health check's second half: one SQS batch of `{ phone, runId }` messages, each session checked through the
 * userbot layer (lease, deadline, getMe, classification, the result written on the session row), at most
 * `concurrency` at a time. Failures are reported per message (Powertools `processPartialResponse`), so only the
 * failed messages return to the queue; a malformed one fails every time and ends in the dead-letter queue.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { redactText } from "../log";
import type { CheckResult, UserbotService } from "../telegram/contract";
import { finishRunIfComplete, type FinishDeps } from "./finish";
import { createLimiter } from "./limit";
import { parseCheckMessage, type CheckMessage } from "./messages";
import type { JobMetrics } from "./metrics";
import { DEADLINE_MARGIN_MS, MAX_RECEIVES, MIN_CHECK_MS } from "./scale";
import { outcomeOf, type SessionNeedingAttention } from "./summary";

export interface WorkerDeps extends FinishDeps {
  readonly userbots: UserbotService;
  /** Checks in flight in this invocation (`WORKER_CONCURRENCY`). */
  readonly concurrency: number;
  /** The longest one check may take (`CHECK_DEADLINE_MS`); less when the invocation has less time left. */
  readonly checkDeadlineMs: number;
}

export interface Invocation {
  /** The Lambda's `context.getRemainingTimeInMillis`. */
  remainingTimeMs(): number;
}

export class UnknownRunError extends Error {
  constructor(readonly runId: string) {
    super(
      `Health check run ${runId} is not known (it ended more than two weeks ago, or the message was not queued by ` +
        "the dispatcher); nothing was checked. The message will end in the dead-letter queue; remove it there.",
    );
    this.name = "UnknownRunError";
  }
}

export class OutOfTimeError extends Error {
  constructor(readonly phone: string) {
    super(`Not enough time left in this invocation to check ${phone}; the message goes back to the queue.`);
    this.name = "OutOfTimeError";
  }
}

export async function handleWorkerBatch(
  event: SQSEvent,
  deps: WorkerDeps,
  invocation: Invocation,
): Promise<SQSBatchResponse> {
  const limit = createLimiter(deps.concurrency);
  const runIds = new Set<string>();

  const checkRecord = async (record: SQSRecord): Promise<void> => {
    let message: CheckMessage;
    try {
      message = parseCheckMessage(record.messageId, record.body);
    } catch (err) {
      deps.metrics.count("MalformedMessages");
      deps.logger.error("Malformed health check message", {
        messageId: record.messageId,
        error: errorText(err),
      });
      throw err;
    }
    runIds.add(message.runId);
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    try {
      await limit(() => checkOne(deps, invocation, message, receiveCount));
    } catch (err) {
      deps.logger.error("Session check could not be completed; the message goes back to the queue", {
        phone: message.phone,
        runId: message.runId,
        receiveCount,
        error: errorText(err),
      });
      throw err;
    }
  };

  const response = await processPartialResponse(event, checkRecord, new BatchProcessor(EventType.SQS), {
    // Every failure is reported per message, even when all of them failed: the answer is the same, and explicit.
    throwOnFullBatchFailure: false,
  });
  // Once per batch, not per message: the batch that counted a run's last message is the one that ends it.
  for (const runId of runIds) await finishRunIfComplete(deps, runId);
  return response;
}

async function checkOne(
  deps: WorkerDeps,
  invocation: Invocation,
  { phone, runId }: CheckMessage,
  receiveCount: number,
): Promise<void> {
  const seen = await deps.runs.lookup(runId, phone);
  if (!seen.known) throw new UnknownRunError(runId);
  if (seen.counted) {
    // Delivered twice: the first delivery's result stands, and Telegram is not asked again.
    deps.metrics.count("SessionsSkipped", 1, { name: "reason", value: "already-checked" });
    deps.logger.info("Session already checked in this run", { phone, runId });
    return;
  }
  const deadlineMs = Math.min(deps.checkDeadlineMs, invocation.remainingTimeMs() - DEADLINE_MARGIN_MS);
  if (deadlineMs < MIN_CHECK_MS) throw new OutOfTimeError(phone);

  let result: CheckResult;
  try {
    result = await deps.userbots.checkSession(phone, { deadlineMs, actor: `health-check:${runId}` });
  } catch (err) {
    const reason = errorText(err);
    if (receiveCount >= MAX_RECEIVES) {
      // SQS moves the message to the DLQ after this receive: count it now, or the run would never complete.
      await deps.runs.count(runId, phone, "gaveUp", {
        phone,
        code: "CHECK_ERROR",
        reason: `${reason} (gave up after ${receiveCount} attempts; the message is in the dead-letter queue)`,
      });
    }
    throw err;
  }
  report(deps, runId, result);
  const note: SessionNeedingAttention | undefined =
    result.outcome === "failed"
      ? { phone, code: result.failure.code, reason: result.failure.message }
      : undefined;
  await deps.runs.count(runId, phone, outcomeOf(result), note);
}

/** The log lines SEED.md promises ("Session OK", "Session failed") and the per-outcome metrics. */
function report(
  deps: { logger: WorkerDeps["logger"]; metrics: JobMetrics },
  runId: string,
  result: CheckResult,
): void {
  const { logger, metrics } = deps;
  const phone = result.phone;
  if (result.outcome !== "skipped") metrics.count("SessionsChecked");
  switch (result.outcome) {
    case "healthy":
      metrics.count("SessionsHealthy");
      logger.info("Session OK", { phone, runId, userId: result.account.userId });
      return;
    case "failed":
      metrics.count("SessionsFailed", 1, { name: "reason", value: result.failure.code });
      logger.warn("Session failed", {
        phone,
        runId,
        error: result.failure.message,
        code: result.failure.code,
        kind: result.failure.kind,
      });
      return;
    case "flood-wait":
      metrics.count("SessionsFloodWaited");
      logger.info("Session in a flood wait; checked again after it", { phone, runId, until: result.until });
      return;
    case "transient":
      metrics.count("SessionsTransient");
      logger.warn("Session check failed for now", {
        phone,
        runId,
        error: result.failure.message,
        code: result.failure.code,
        failuresInARow: result.failures,
      });
      return;
    case "skipped":
      metrics.count("SessionsSkipped", 1, { name: "reason", value: result.reason });
      logger.info("Session skipped", { phone, runId, reason: result.reason });
      return;
  }
}

export { report as reportCheck };

function errorText(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}
