/**
 * Lambda entry point: the weekly cleanup of old error sessions (EventBridge Scheduler, `cron(0 0 ? * SUN *)`).
 * Invoked by hand with `{"dryRun": true}` it lists what it would delete and deletes nothing.
 */
import { z } from "zod";
import { parseEnv } from "../lib/config";
import { runCleanup, type CleanupDeps, type CleanupResult } from "../lib/jobs/cleanup";
import { CleanupLog } from "../lib/jobs/cleanup-log";
import { cleanupEnvShape, createJobRuntime } from "../lib/jobs/runtime";

const cleanupEvent = z.looseObject({ dryRun: z.boolean().optional() });

export interface CleanupHandlerDeps extends CleanupDeps {
  readonly olderThanDays: number;
}

/** The handler over its dependencies; tests build it on DynamoDB Local, `handler` on the Lambda's environment. */
export function createCleanupHandler(build: () => CleanupHandlerDeps) {
  let deps: CleanupHandlerDeps | undefined;
  return async (event: unknown): Promise<CleanupResult> => {
    deps ??= build();
    const parsed = cleanupEvent.safeParse(event ?? {});
    if (!parsed.success) {
      throw new Error(
        'The cleanup input must be a JSON object, optionally {"dryRun": true}; nothing was deleted.',
      );
    }
    try {
      return await runCleanup(deps, {
        olderThanDays: deps.olderThanDays,
        dryRun: parsed.data.dryRun ?? false,
      });
    } finally {
      deps.metrics.flush();
    }
  };
}

export const handler = createCleanupHandler(() => {
  const { CLEANUP_AFTER_DAYS } = parseEnv(cleanupEnvShape, process.env);
  const runtime = createJobRuntime("cleanup");
  return {
    ...runtime,
    cleanups: new CleanupLog(runtime.doc, runtime.botStateTable, runtime.now),
    olderThanDays: CLEANUP_AFTER_DAYS,
  };
});
