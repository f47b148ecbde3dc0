/**
 * The health check's one message per run, in each admin's language: the sessions that stopped working (with what
 * to do), those that could not be checked, and the run's counts. The jobs decide *when* to send (only when a
 * session needs someone); this file decides what the admins read.
 */
import { Api } from "grammy";
import type { HealthCheckNotifier, HealthCheckSummary } from "../jobs/summary";
import type { Logger } from "../log";
import type { AdminRepository } from "../bot-state/admins";
import type { Texts } from "./locales";
import { createNotifier, withNotifierRetries, type Notifier } from "./notifier";
import { formatTime } from "./views";

export function renderHealthSummary(t: Texts, s: HealthCheckSummary): string {
  const parts: string[] = [];
  if (s.newlyFailed.length > 0) {
    parts.push(t.notify.sessionsFailed(s.newlyFailed.map((f) => ({ phone: f.phone, error: f.reason }))));
  }
  if (s.newlyFrozen && s.newlyFrozen.length > 0) {
    parts.push(
      t.notify.sessionsFrozen(
        s.newlyFrozen.map((f) => ({
          phone: f.phone,
          ...(f.until ? { until: formatTime(f.until, t) } : {}),
          ...(f.appealUrl ? { appealUrl: f.appealUrl } : {}),
        })),
      ),
    );
  }
  if (s.notChecked.length > 0) {
    parts.push(t.notify.notChecked(s.notChecked.map((f) => ({ phone: f.phone, error: f.reason }))));
  }
  if (s.unfinished) parts.push(t.notify.runUnfinished(s.unfinished.checksNotFinished));
  parts.push(t.notify.runCounts(s.counts));
  return parts.join("\n\n");
}

/** The jobs' notifier over the AdminBot's: one message per admin, in their language. */
export function healthCheckNotifier(notifier: Notifier, logger?: Logger): HealthCheckNotifier {
  return async (summary) => {
    const result = await notifier.notifyAdmins((t) => renderHealthSummary(t, summary));
    if (result.sent.length === 0 && result.failed.length === 0) {
      logger?.warn(
        "Health check summary not sent: there are no admins. Add one with `sessions add-admin <id> --owner`.",
        {
          runId: summary.runId,
        },
      );
      return;
    }
    if (result.sent.length === 0) {
      // Nobody could be told: the run must not be marked as reported. The jobs release their claim and retry.
      throw new Error(
        `The health check summary reached no admin (${result.failed.length} failed). Add an admin, or check the bot token.`,
      );
    }
    logger?.info("Health check summary sent", { runId: summary.runId, admins: result.sent.length });
  };
}

/** For the job Lambdas: a Bot API client from the bot token, loaded only when a summary is actually sent. */
export function botApiNotifier(options: {
  readonly botToken: () => Promise<string>;
  readonly admins: Pick<AdminRepository, "list">;
  readonly logger?: Logger;
  readonly apiRoot?: string;
}): HealthCheckNotifier {
  return async (summary) => {
    const api = withNotifierRetries(
      new Api(await options.botToken(), options.apiRoot ? { apiRoot: options.apiRoot } : undefined),
    );
    return healthCheckNotifier(createNotifier(api, options.admins, options.logger), options.logger)(summary);
  };
}
