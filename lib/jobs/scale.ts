/**
 * The numbers the health check is designed for. The CDK service stack should read these constants (infra imports
 * lib/ only for shared constants), so the queue, the event source and the code cannot disagree.
 *
 * Target: 100,000 active sessions checked in one run in under 15 minutes of wall time when Telegram answers getMe in
 * 300 ms, with no invocation past its timeout and without flooding Telegram from one IP range or one data centre.
 *
 * One check = lease (DynamoDB) + decrypt (KMS) + MTProto connect with the stored key + getMe (300 ms) + destroy +
 * record. Budget ≈ 1.5 s; its hard deadline is CHECK_DEADLINE_MS (20 s).
 *
 * - SQS batch size 8 (`PER_DC_CONCURRENCY`), maxBatchingWindow 0; up to WORKER_CONCURRENCY (10) checks in flight per
 *   invocation, so a batch is one wave even when all its sessions live on one data centre: ≈ 0.5 s typical, ≤ 20 s +
 *   margin worst case. (With batches of 10 and the per-DC cap of 8, a one-DC batch was two waves: the bench measured
 *   the last two checks waiting a whole check for a DC slot, which doubled the batch's time.)
 * - Worker timeout 60 s: the worst batch (every check running to its 20 s deadline) ends by ~25 s, with room for a
 *   cold start. A check is started only if `MIN_CHECK_MS` remains before `timeout − DEADLINE_MARGIN_MS`.
 * - Event source maximum concurrency 10 (ScalingConfig.MaximumConcurrency). That, not reserved concurrency, is the
 *   bound: with reserved concurrency alone SQS pollers get throttled and messages burn receive counts into the DLQ.
 *   10 × 8 = 80 connections in flight fleet-wide, so at most 80 to one data centre (`PER_DC_CONCURRENCY` per
 *   worker), each check started after a random delay of up to `CHECK_JITTER_MS`: a batch of 8 takes ≈ 0.45 s on
 *   loopback (getMe 300 ms) plus up to 0.1 s of jitter, so 100,000 in ≈ 12,500 / 10 × 0.55 s ≈ 11.5 min
 *   (`healthCheckProjectedSeconds100k` in `npm run bench`, which puts every session on one DC, the worst case for
 *   the cap). Raising it floods Telegram from Lambda's IP ranges sooner than it saves time.
 * - Visibility timeout 360 s (6 × the worker timeout, AWS's rule for Lambda sources); maxReceiveCount
 *   `MAX_RECEIVES` (3), then the DLQ. On the last receive a message that still fails is counted as "gave up" so the
 *   run's summary still completes.
 * - Dispatch: pages of 100 sessions from `byStatus`, SendMessageBatch of 10, 10 calls in parallel: 10,000 messages in
 *   ≈ 10–20 s (1,000 in 0.8 s on DynamoDB Local, reading exactly the 1,000 active items). Timeout 300 s. A schedule
 *   event delivered again with the same scheduled time is ignored by its run id, so an async retry of a dispatch
 *   that crashed half-way does not resume it: that run is reported unfinished by the next day's dispatch. Async
 *   MaximumRetryAttempts 0 is therefore the honest setting for the dispatcher.
 * - Cleanup: pages of 100, 10 deletes in parallel; timeout 300 s.
 * - The userbot layer's lease for a check must outlast its deadline plus the disconnect grace (≥ 20 s + 10 s), and
 *   stay below the visibility timeout, so a redelivered message finds the lease expired or released.
 */

/**
 * Checks of one invocation connecting to the same Telegram data centre at once (lib/jobs/pacing.ts): with
 * `WORKER_MAX_CONCURRENCY` invocations, at most 10 × 8 = 80 connections to one data centre fleet-wide.
 */
export const PER_DC_CONCURRENCY = 8;
/**
 * Messages per SQS batch the worker receives (event source `batchSize`): the per-DC cap, so a batch whose sessions
 * all live on one data centre is still one wave of checks, none waiting for a slot.
 */
export const WORKER_BATCH_SIZE = PER_DC_CONCURRENCY;
/** Checks in flight per worker invocation (env `WORKER_CONCURRENCY` overrides). */
export const DEFAULT_WORKER_CONCURRENCY = 10;
/** Hard limit for one check (env `CHECK_DEADLINE_MS` overrides). */
export const DEFAULT_CHECK_DEADLINE_MS = 20_000;
/** Kept back from the invocation's remaining time for recording results and answering SQS. */
export const DEADLINE_MARGIN_MS = 5_000;
/** Below this much time a check is not started: the message goes back to the queue instead. */
export const MIN_CHECK_MS = 3_000;
export const WORKER_TIMEOUT_SECONDS = 60;
/** Event source maximum concurrency: worker invocations at once (setting `healthCheckMaxConcurrency`). */
export const WORKER_MAX_CONCURRENCY = 10;
/** A check starts after a random delay of up to this many ms, so a batch's handshakes are spread out. */
export const CHECK_JITTER_MS = 100;
export const QUEUE_VISIBILITY_TIMEOUT_SECONDS = 6 * WORKER_TIMEOUT_SECONDS;
/** Receives before SQS moves a message to the DLQ (`maxReceiveCount`). */
export const MAX_RECEIVES = 3;
export const DISPATCH_TIMEOUT_SECONDS = 300;
export const DISPATCH_PAGE_SIZE = 100;
/** SendMessageBatch calls in flight while dispatching. */
export const DISPATCH_SEND_CONCURRENCY = 10;
export const CLEANUP_TIMEOUT_SECONDS = 300;
export const CLEANUP_PAGE_SIZE = 100;
export const CLEANUP_DELETE_CONCURRENCY = 10;
/**
 * How long a run's record (its counters and the fleet when it ended) stays in the bot-state table: what
 * `sessions history`, `sessions status` and the fleet chart read. 90 days, so a quarter can be looked back on.
 */
export const RUN_RETENTION_DAYS = 90;
/**
 * How long a run's per-session marks (`CHECKED#`, `NOTE#`) stay: they only guard against a message delivered twice
 * and feed the run's one summary, so a fortnight is plenty; at 10,000 sessions a day, 90 days of them would be
 * 900,000 items nobody reads.
 */
export const RUN_MARK_RETENTION_DAYS = 14;
/** A run still open this long after it started never completed: the next dispatch closes it. */
export const CLOSE_UNFINISHED_RUN_AFTER_MS = 2 * 3_600_000;
