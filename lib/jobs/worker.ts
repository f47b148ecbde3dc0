/**
 * The health check's second half: one SQS batch of `{ phone, runId }` messages, each session checked through the
 * userbot layer (lease, deadline, getMe, classification, the result written on the session row), at most
 * `concurrency` at a time. Failures are reported per message (Powertools `processPartialResponse`), so only the
 * failed messages return to the queue; a malformed one fails every time and ends in the dead-letter queue.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { redactText } from "../log";
import type { Phone } from "../sessions/phone";
import type { CheckResult, UserbotService } from "../telegram/contract";
import { reportCheck } from "./report";
import { finishRunIfComplete, type FinishDeps } from "./finish";
import { createLimiter } from "./limit";
import { createDcPacer } from "./pacing";
import { parseCheckMessage, type CheckMessage } from "./messages";
import { CHECK_JITTER_MS, DEADLINE_MARGIN_MS, MAX_RECEIVES, MIN_CHECK_MS, PER_DC_CONCURRENCY } from "./scale";
import { frozenNote, newLoginsOf, outcomeOf, type SessionNeedingAttention } from "./summary";

export interface WorkerDeps extends FinishDeps {
  readonly userbots: UserbotService;
  /** Checks in flight in this invocation (`WORKER_CONCURRENCY`). */
  readonly concurrency: number;
  /** The longest one check may take (`CHECK_DEADLINE_MS`); less when the invocation has less time left. */
  readonly checkDeadlineMs: number;
  /** Checks connecting to one data centre at once. Default `PER_DC_CONCURRENCY`. */
  readonly perDcConcurrency?: number;
  /** Random start delay bound, ms. Default `CHECK_JITTER_MS`. */
  readonly jitterMs?: number;
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
  const pace = createDcPacer({
    perDc: deps.perDcConcurrency ?? PER_DC_CONCURRENCY,
    jitterMs: deps.jitterMs ?? CHECK_JITTER_MS,
  });
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
      // Paced first (jitter, then a slot at its data centre), then a slot of this invocation.
      await pace(message.dc, () => limit(() => checkOne(deps, invocation, message, receiveCount)));
    } catch (err) {
      const error = errorText(err);
      deps.logger.error("Session check could not be completed; the message goes back to the queue", {
        phone: message.phone,
        runId: message.runId,
        receiveCount,
        error,
      });
      if (receiveCount >= MAX_RECEIVES && !(err instanceof UnknownRunError)) {
        await giveUp(deps, message, receiveCount, error);
      }
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

  const started = deps.now().getTime();
  let result = await deps.userbots.checkSession(phone, { deadlineMs, actor: `health-check:${runId}` });
  if (result.outcome !== "skipped") deps.metrics.duration("CheckDuration", deps.now().getTime() - started);
  if (receiveCount > 1 && result.outcome === "skipped" && result.reason === "not-active") {
    result = (await failedInEarlierDelivery(deps, phone, seen.startedAt)) ?? result;
  }
  reportCheck(deps, runId, result);
  const note: SessionNeedingAttention | undefined =
    result.outcome === "failed"
      ? { phone, code: result.failure.code, reason: result.failure.message }
      : result.outcome === "frozen" && result.newlyFrozen
        ? frozenNote(phone, result.freeze)
        : undefined;
  await deps.runs.count(runId, phone, outcomeOf(result), note, newLoginsOf(result));
}

/**
 * A redelivered message whose session is in `error` since the run started: an earlier delivery marked it and then
 * died (timeout, a lost write) before counting it. It is still this run's news, so it is counted as failed.
 */
async function failedInEarlierDelivery(
  deps: WorkerDeps,
  phone: Phone,
  runStartedAt: string,
): Promise<CheckResult | undefined> {
  const session = await deps.sessions.get(phone);
  if (session?.status !== "error" || session.updatedAt < runStartedAt) return undefined;
  const code = session.lastErrorCode ?? "UNKNOWN";
  return {
    outcome: "failed",
    phone,
    failure: { kind: "other", code, message: session.lastError ?? code },
  };
}

/** SQS moves the message to the DLQ after this receive: count it now, or the run would never complete. */
async function giveUp(deps: WorkerDeps, { phone, runId }: CheckMessage, receiveCount: number, error: string) {
  try {
    await deps.runs.count(runId, phone, "gaveUp", {
      phone,
      code: "CHECK_ERROR",
      reason: `${error} (gave up after ${receiveCount} attempts; the message is in the dead-letter queue)`,
    });
  } catch (err) {
    // The message is failing anyway; this only means the run's summary waits for the next run to be noticed.
    deps.logger.error("Could not count a given-up check in its run", { phone, runId, error: errorText(err) });
  }
}

function errorText(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}
