/** The run and cleanup records over the CLI's store: what `history`, `status` and the local runs read and write. */
import { CleanupLog } from "../jobs/cleanup-log";
import { HealthCheckRuns } from "../jobs/runs";
import type { Store } from "./context";

export function runRecords(store: Pick<Store, "doc" | "config">): HealthCheckRuns {
  return new HealthCheckRuns(store.doc, store.config.botStateTable);
}

export function cleanupRecords(store: Pick<Store, "doc" | "config">): CleanupLog {
  return new CleanupLog(store.doc, store.config.botStateTable);
}
