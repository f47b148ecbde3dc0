/**
 * The scheduled jobs as plain functions over their dependencies, gathered for the tests. The Lambda handlers in
 * functions/ import each job from its own file, so a bundle holds only its job. The same functions serve the CLI
 * (`sessions check --all` → `checkAll`, `sessions cleanup [--dry-run]` → `runCleanup`) and `npm run dev` (`checkAll`
 * on a timer, the in-process form of the dispatcher and its workers, and `runCleanup`); `InMemoryCheckQueue` stands
 * in for SQS where a test drives `runDispatch` and drains it through `handleWorkerBatch`.
 */
export { checkAll, type CheckAllDeps, type CheckAllOptions, type CheckProgress } from "./check-all";
export {
  DEFAULT_CLEANUP_AFTER_DAYS,
  runCleanup,
  type CleanupDeps,
  type CleanupOptions,
  type CleanupResult,
} from "./cleanup";
export { runDispatch, type DispatchDeps, type DispatchResult } from "./dispatch";
export { finishRunIfComplete, type FinishDeps } from "./finish";
export {
  formatCheckMessage,
  MalformedCheckMessageError,
  parseCheckMessage,
  runIdFor,
  type CheckMessage,
} from "./messages";
export { noMetrics, powertoolsMetrics, type JobMetricName, type JobMetrics } from "./metrics";
export { InMemoryCheckQueue, QueueSendError, SqsCheckQueue, sqsRecord, type CheckQueue } from "./queue";
export { HealthCheckRuns, type RunRecord } from "./runs";
export * from "./scale";
export {
  needsAttention,
  SUMMARY_LIST_LIMIT,
  type HealthCheckNotifier,
  type HealthCheckSummary,
  type RunCounts,
  type RunOutcome,
  type FrozenSessionNote,
  type SessionNeedingAttention,
} from "./summary";
export {
  handleWorkerBatch,
  OutOfTimeError,
  UnknownRunError,
  type Invocation,
  type WorkerDeps,
} from "./worker";
