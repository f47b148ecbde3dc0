/**
 * Lambda entry point: the weekly cleanup (EventBridge Scheduler, `cron(0 0 ? * SUN *)`): pending logouts retried,
 * then old error sessions logged out at Telegram and deleted. Invoked by hand with `{"dryRun": true}` it lists what
 * it would do and changes nothing.
 */
import type { Context } from "aws-lambda";
import { parseEnv } from "../lib/config";
import { runCleanup, type CleanupDeps, type CleanupResult } from "../lib/jobs/cleanup";
import { cleanupEnvShape, createJobRuntime } from "../lib/jobs/runtime";
import { importTelegram } from "../lib/wiring";
import * as z from "../lib/zod";

const cleanupEvent = z.looseObject({ dryRun: z.optional(z.boolean()) });

export interface CleanupHandlerDeps extends CleanupDeps {
  readonly olderThanDays: number;
}

/** The handler over its dependencies; tests build it on DynamoDB Local, `handler` on the Lambda's environment. */
export function createCleanupHandler(build: () => CleanupHandlerDeps | Promise<CleanupHandlerDeps>) {
  let ready: Promise<CleanupHandlerDeps> | undefined;
  return async (
    event: unknown,
    context?: Pick<Context, "getRemainingTimeInMillis">,
  ): Promise<CleanupResult> => {
    // Built on the first invocation; a failed build (a bad setting) is tried again by the next one.
    ready ??= Promise.resolve()
      .then(build)
      .catch((err: unknown) => {
        ready = undefined;
        throw err;
      });
    const deps = await ready;
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
        ...(context ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {}),
      });
    } finally {
      deps.metrics.flush();
    }
  };
}

export const handler = createCleanupHandler(async () => {
  const { CLEANUP_AFTER_DAYS } = parseEnv(cleanupEnvShape, process.env);
  const runtime = createJobRuntime("cleanup", process.env, { telegram: importTelegram });
  return {
    ...runtime,
    // Keys are opened to log them out at Telegram (auth.logOut) before their ciphertext is destroyed.
    userbots: (await runtime.userbots()).userbots,
    olderThanDays: CLEANUP_AFTER_DAYS,
  };
});
