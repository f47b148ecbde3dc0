/**
 * The health check's one message per run, in each admin's language: the sessions that stopped working (with what
 * to do), those that could not be checked, and the run's counts. The jobs decide *when* to send (only when a
 * session needs someone); this file decides what the admins read.
 */
import { Api, InlineKeyboard } from "grammy";
import type { HealthCheckNotifier, HealthCheckSummary } from "../jobs/summary";
import type { Logger } from "../log";
import type { Admin, AdminRepository } from "../bot-state/admins";
import { cb } from "./callback-data";
import { esc } from "./html";
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
  if (s.newLogins && s.newLogins.length > 0) {
    parts.push(
      t.notify.newLogins(
        s.newLogins.map((l) => ({
          phone: esc(l.phone),
          device: esc(l.device),
          app: esc(l.app),
          place: esc(l.place),
          officialApp: l.officialApp,
          ...(l.endPossibleFrom ? { endPossibleFrom: formatTime(l.endPossibleFrom, t) } : {}),
        })),
      ),
    );
  }
  if (s.notChecked.length > 0) {
    parts.push(t.notify.notChecked(s.notChecked.map((f) => ({ phone: f.phone, error: f.reason }))));
  }
  if (s.unfinished) parts.push(t.notify.runUnfinished(s.unfinished.checksNotFinished));
  parts.push(
    [
      t.notify.runCounts(s.counts),
      ...(s.withoutTwoFa ? [t.notify.withoutTwoFa(s.withoutTwoFa)] : []),
      ...(s.restricted ? [t.notify.restricted(s.restricted)] : []),
      ...(s.pendingLogouts ? [t.notify.pendingLogouts(s.pendingLogouts)] : []),
    ].join("\n"),
  );
  return parts.join("\n\n");
}

/** At most this many new logins get buttons (Telegram allows 100 buttons; a summary stays readable). */
export const NEW_LOGIN_BUTTONS_LIMIT = 10;

/**
 * Under a summary that names new logins, for an owner: end each login, or every other login of its account. Each
 * button asks for a confirmation first. An admin who is not an owner gets no buttons (and is refused if they press
 * one forwarded to them).
 */
export function healthSummaryKeyboard(
  t: Texts,
  s: HealthCheckSummary,
  admin: Admin,
): InlineKeyboard | undefined {
  const logins = (s.newLogins ?? []).slice(0, NEW_LOGIN_BUTTONS_LIMIT);
  if (admin.role !== "owner" || logins.length === 0) return undefined;
  const keyboard = new InlineKeyboard();
  for (const l of logins) {
    keyboard.text(t.notify.endLoginButton(l.phone, l.device), cb.askEndDevice(l.phone, l.hash)).row();
  }
  for (const phone of new Set(logins.map((l) => l.phone))) {
    keyboard.text(t.notify.endOthersButton(phone), cb.askEndOthers(phone)).row();
  }
  return keyboard;
}

/** The jobs' notifier over the AdminBot's: one message per admin, in their language. */
export function healthCheckNotifier(notifier: Notifier, logger?: Logger): HealthCheckNotifier {
  return async (summary) => {
    const result = await notifier.notifyAdmins(
      (t) => renderHealthSummary(t, summary),
      (t, admin) => healthSummaryKeyboard(t, summary, admin),
    );
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
