/**
 * What the jobs count, behind a small interface: the Lambdas write it as CloudWatch EMF through Powertools Metrics,
 * the CLI and the local runner pass `noMetrics` (EMF blobs on an operator's terminal would be noise).
 *
 * Counts are summed in memory and written once per flush, so a worker batch of ten checks produces one data point
 * per metric, not ten.
 */
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { SessionStatus } from "../sessions/session";

export type JobMetricName =
  | "SessionsChecked"
  | "SessionsHealthy"
  /** Dimension `reason`: Telegram's error code (AUTH_KEY_UNREGISTERED, USER_DEACTIVATED, CONSECUTIVE_FAILURES…). */
  | "SessionsFailed"
  | "SessionsFloodWaited"
  | "SessionsTransient"
  /** Checks that found the account frozen by Telegram (the key works; the account is read-only). */
  | "SessionsFrozen"
  /** Dimension `reason`: not-active | leased | flood-wait | not-found | already-checked. */
  | "SessionsSkipped"
  | "ChecksDispatched"
  | "MalformedMessages"
  | "SessionsDeletedByCleanup"
  /** Deleted sessions whose key's logout at Telegram is still not confirmed after a cleanup run. */
  | "LogoutsPending"
  /** Pending logouts given up on (past the give-up date): ciphertext destroyed, logout never confirmed. */
  | "LogoutsGivenUp"
  /** Dimension `status`: the fleet's size per status. */
  | "FleetSessions";

/** Durations, in milliseconds; one value per event, so CloudWatch can give percentiles (p50, p99). */
export type JobDurationName =
  /** One session's check, from asking the userbot layer to its answer (lease, connect, getMe, release). */
  "CheckDuration";

export interface JobMetrics {
  count(name: JobMetricName, value?: number, dimension?: { name: string; value: string }): void;
  duration(name: JobDurationName, ms: number): void;
  /** Writes what was counted since the last flush. Each handler calls it once, in `finally`. */
  flush(): void;
}

export const noMetrics: JobMetrics = {
  count: () => undefined,
  duration: () => undefined,
  flush: () => undefined,
};

/** Counts the fleet's sessions per status (from `countByStatus`), so dashboards show the fleet, not only events. */
export function countFleet(metrics: JobMetrics, fleet: Record<SessionStatus, number>): void {
  for (const [status, n] of Object.entries(fleet))
    metrics.count("FleetSessions", n, { name: "status", value: status });
}

/** The Powertools adapter. Dimensioned counts go out as single metrics: EMF allows one dimension set per blob. */
export function powertoolsMetrics(metrics: Metrics): JobMetrics {
  const plain = new Map<JobMetricName, number>();
  const dimensioned = new Map<string, { name: JobMetricName; dim: string; value: string; n: number }>();
  const durations: { name: JobDurationName; ms: number }[] = [];
  return {
    count(name, value = 1, dimension) {
      if (!dimension) {
        plain.set(name, (plain.get(name) ?? 0) + value);
        return;
      }
      const key = `${name}\u0000${dimension.name}\u0000${dimension.value}`;
      const entry = dimensioned.get(key) ?? { name, dim: dimension.name, value: dimension.value, n: 0 };
      entry.n += value;
      dimensioned.set(key, entry);
    },
    duration(name, ms) {
      durations.push({ name, ms });
    },
    flush() {
      for (const [name, n] of plain) metrics.addMetric(name, MetricUnit.Count, n);
      // The same name added again becomes a list of values in one EMF blob (Powertools flushes at 100 itself).
      for (const { name, ms } of durations) metrics.addMetric(name, MetricUnit.Milliseconds, ms);
      durations.length = 0;
      for (const { name, dim, value, n } of dimensioned.values()) {
        // A zero per reason is noise (a dashboard sums what is there); plain counts keep their zeros.
        if (n === 0 && name !== "FleetSessions") continue;
        metrics.singleMetric().addDimension(dim, value).addMetric(name, MetricUnit.Count, n);
      }
      plain.clear();
      dimensioned.clear();
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
