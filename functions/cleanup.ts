/**
 * Lambda entry point: the weekly cleanup (EventBridge Scheduler, `cron(0 0 ? * SUN *)`): pending logouts retried,
 * then old error sessions logged out at Telegram and deleted. Invoked by hand with `{"dryRun": true}` it lists what
 * it would do and changes nothing.
 */
import type { Context } from "aws-lambda";
import { z } from "zod";
import { loadDefaultDeviceIdentity, parseEnv } from "../lib/config";
import { runCleanup, type CleanupDeps, type CleanupResult } from "../lib/jobs/cleanup";
import { CleanupLog } from "../lib/jobs/cleanup-log";
import { cleanupEnvShape, createJobRuntime } from "../lib/jobs/runtime";
import { createSecretSource } from "../lib/secrets";
import { createUserbotServices } from "../lib/telegram";

const cleanupEvent = z.looseObject({ dryRun: z.boolean().optional() });

export interface CleanupHandlerDeps extends CleanupDeps {
  readonly olderThanDays: number;
}

/** The handler over its dependencies; tests build it on DynamoDB Local, `handler` on the Lambda's environment. */
export function createCleanupHandler(build: () => CleanupHandlerDeps) {
  let deps: CleanupHandlerDeps | undefined;
  return async (
    event: unknown,
    context?: Pick<Context, "getRemainingTimeInMillis">,
  ): Promise<CleanupResult> => {
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
        ...(context ? { remainingTimeMs: () => context.getRemainingTimeInMillis() } : {}),
      });
    } finally {
      deps.metrics.flush();
    }
  };
}

export const handler = createCleanupHandler(() => {
  const { CLEANUP_AFTER_DAYS } = parseEnv(cleanupEnvShape, process.env);
  const runtime = createJobRuntime("cleanup");
  const secrets = createSecretSource(process.env);
  return {
    ...runtime,
    cleanups: new CleanupLog(runtime.doc, runtime.botStateTable, runtime.now),
    // Keys are opened to log them out at Telegram (auth.logOut) before their ciphertext is destroyed.
    userbots: createUserbotServices({
      sessions: runtime.sessions,
      doc: runtime.doc,
      botStateTable: runtime.botStateTable,
      cipher: runtime.cipher,
      credentials: () => secrets.telegramApi(),
      defaultIdentity: loadDefaultDeviceIdentity(process.env),
      logger: runtime.logger,
      audit: runtime.audit,
      now: runtime.now,
    }).userbots,
    olderThanDays: CLEANUP_AFTER_DAYS,
  };
});
