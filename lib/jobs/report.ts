/** How one check's result is told: the log lines of SEED.md and the per-outcome counts. Shared by the worker and `checkAll`. */
import type { Logger } from "../log";
import type { CheckResult } from "../telegram/contract";
import type { JobMetrics } from "./metrics";

/** The run's log line per outcome ("Session failed" as SEED.md says it) and the per-outcome metrics. */
export function reportCheck(
  deps: { logger: Logger; metrics: JobMetrics },
  runId: string,
  result: CheckResult,
): void {
  const { logger, metrics } = deps;
  const phone = result.phone;
  if (result.outcome !== "skipped") metrics.count("SessionsChecked");
  switch (result.outcome) {
    case "healthy":
      // "Session OK" itself is logged by the userbot layer's check, once per session.
      metrics.count("SessionsHealthy");
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
    case "frozen":
      metrics.count("SessionsFrozen");
      logger.warn("Session account frozen by Telegram", {
        phone,
        runId,
        newlyFrozen: result.newlyFrozen,
        ...(result.freeze.until ? { until: result.freeze.until } : {}),
        ...(result.freeze.appealUrl ? { appealUrl: result.freeze.appealUrl } : {}),
      });
      return;
    case "skipped":
      metrics.count("SessionsSkipped", 1, { name: "reason", value: result.reason });
      logger.info("Session skipped", { phone, runId, reason: result.reason });
      return;
  }
}
