/**
 * Lambda entry point: the daily health check's dispatcher (EventBridge Scheduler). Queues every due active session
 * for the workers. The schedule's input should carry the scheduled time, `{"scheduledTime":
 * "<aws.scheduler.scheduled-time>"}` (an EventBridge rule's `time` works too): the run id comes from it, so the same
 * event delivered twice dispatches once.
 */
import { botApiNotifier } from "../lib/bot/health-summary";
import { parseEnv } from "../lib/config";
import { runDispatch, type DispatchDeps, type DispatchResult } from "../lib/jobs/dispatch";
import { isRunId, runIdFor } from "../lib/jobs/messages";
import { sqsCheckQueue } from "../lib/jobs/queue";
import { createJobRuntime, dispatchEnvShape } from "../lib/jobs/runtime";
import * as z from "../lib/zod";

const dispatchEvent = z.looseObject({
  scheduledTime: z.optional(z.iso.datetime({ offset: true })),
  time: z.optional(z.iso.datetime({ offset: true })),
  runId: z.optional(z.string().check(z.refine(isRunId, "letters, digits and :._- only, at most 80"))),
});

/** The handler over its dependencies; tests build it on DynamoDB Local, `handler` on the Lambda's environment. */
export function createDispatchHandler(build: () => DispatchDeps) {
  let deps: DispatchDeps | undefined;
  return async (event: unknown): Promise<DispatchResult> => {
    deps ??= build();
    const parsed = dispatchEvent.safeParse(event ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(
        `The health check input must be a JSON object such as {"scheduledTime": "2026-01-01T00:00:00Z"} ` +
          `(${issue?.path.join(".") || "input"}: ${issue?.message ?? "invalid"}); nothing was queued.`,
      );
    }
    const scheduled = parsed.data.scheduledTime ?? parsed.data.time;
    const runId = parsed.data.runId ?? runIdFor(scheduled ? new Date(scheduled) : undefined, deps.now());
    try {
      return await runDispatch(deps, { runId });
    } finally {
      deps.metrics.flush();
    }
  };
}

export const handler = createDispatchHandler(() => {
  const { HEALTH_CHECK_QUEUE_URL } = parseEnv(dispatchEnvShape, process.env);
  const runtime = createJobRuntime("health-check-dispatch");
  return {
    ...runtime,
    queue: sqsCheckQueue(HEALTH_CHECK_QUEUE_URL),
    // The dispatcher ends a run itself when no session was due, or when the workers finished before its last page.
    notify: botApiNotifier({
      botToken: () => runtime.secrets.botToken(),
      admins: runtime.admins,
      logger: runtime.logger,
    }),
  };
});
