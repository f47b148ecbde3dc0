/**
 * The health check's first half (daily, EventBridge Scheduler): every active session that is due gets one
 * `{ phone, runId }` message on the queue; the workers do the checking.
 */
import type { CheckQueue } from "./queue";
import { sessionsDueForCheck } from "./due";
import { closeUnfinishedRuns, finishRunIfComplete, type FinishDeps } from "./finish";
import { createLimiter } from "./limit";
import type { CheckMessage } from "./messages";
import { DISPATCH_SEND_CONCURRENCY } from "./scale";

export interface DispatchDeps extends FinishDeps {
  readonly queue: CheckQueue;
}

export interface DispatchResult {
  readonly runId: string;
  /** False when this run had already been dispatched (the schedule event came twice): nothing was sent. */
  readonly started: boolean;
  readonly queued: number;
  readonly notQueued: { readonly floodWait: number; readonly leased: number };
}

export async function runDispatch(
  deps: DispatchDeps,
  options: { readonly runId: string },
): Promise<DispatchResult> {
  const { runId } = options;
  // Before the new run: the admins hear about an old run that never ended, so no run passes in silence.
  await closeUnfinishedRuns(deps);
  const empty = { runId, queued: 0, notQueued: { floodWait: 0, leased: 0 } };
  if (!(await deps.runs.start(runId))) {
    deps.logger.warn("Health check run already dispatched; nothing sent again", { runId });
    return { ...empty, started: false };
  }
  deps.logger.info("Health check run started", { runId });
  const send = createLimiter(DISPATCH_SEND_CONCURRENCY);
  let queued = 0;
  let floodWait = 0;
  let leased = 0;
  for await (const page of sessionsDueForCheck(deps.sessions, deps.now)) {
    const messages: CheckMessage[] = page.due.map((phone) => {
      const dc = page.dcOf.get(phone);
      return { phone, runId, ...(dc !== undefined ? { dc } : {}) };
    });
    // Ten per SendMessageBatch call, DISPATCH_SEND_CONCURRENCY calls at a time: 10,000 messages in seconds.
    const tens: CheckMessage[][] = [];
    for (let i = 0; i < messages.length; i += 10) tens.push(messages.slice(i, i + 10));
    await Promise.all(tens.map((ten) => send(() => deps.queue.sendBatch(ten))));
    // Counted only once on the queue: a worker may finish these before the next page is read, which is fine, since
    // the run cannot complete before `completeDispatch`.
    await deps.runs.addQueued(runId, {
      queued: messages.length,
      floodWait: page.floodWait,
      leased: page.leased,
    });
    queued += messages.length;
    floodWait += page.floodWait;
    leased += page.leased;
  }
  await deps.runs.completeDispatch(runId);
  deps.metrics.count("ChecksDispatched", queued);
  deps.metrics.count("SessionsSkipped", floodWait, { name: "reason", value: "flood-wait" });
  deps.metrics.count("SessionsSkipped", leased, { name: "reason", value: "leased" });
  deps.logger.info("Health check run dispatched", { runId, queued, notQueued: { floodWait, leased } });
  // With no session due, or workers faster than the last page, the run is already complete: end it here.
  await finishRunIfComplete(deps, runId);
  return { runId, started: true, queued, notQueued: { floodWait, leased } };
}
