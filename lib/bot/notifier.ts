/**
 * Messages every admin, each in their own language. The health check sends one summary per run through this.
 * An admin who blocked the bot (or any send that fails) does not stop the others; the result says who got it.
 */
import { autoRetry } from "@grammyjs/auto-retry";
import type { Api, InlineKeyboard, Transformer } from "grammy";
import type { Logger } from "../log";
import type { Admin, AdminRepository, Language } from "../bot-state/admins";
import { DEFAULT_LANGUAGE, LOCALES, type Texts } from "./locales";

/** The text per language, or a function of the admin's locale texts. HTML: escape what came from outside. */
export type NotificationText = Record<Language, string> | ((t: Texts, lang: Language) => string);

export interface NotifyResult {
  readonly sent: string[];
  readonly failed: string[];
}

/** Buttons under a notification, per admin (an owner may get buttons an admin does not); none: no keyboard. */
export type NotificationKeyboard = (t: Texts, admin: Admin) => InlineKeyboard | undefined;

export interface Notifier {
  notifyAdmins(text: NotificationText, keyboard?: NotificationKeyboard): Promise<NotifyResult>;
}

/**
 * Telegram answers 429 (Too Many Requests, `retry_after` seconds) when a bot sends too fast, as a summary to many
 * admins can. The notifier's Bot API client waits that long and sends again, at most twice and only for waits up to
 * 10 s, so a job Lambda never sleeps into its timeout; a longer wait fails that admin's message as before. Other
 * errors are not retried here: the jobs retry an unsent summary on their own.
 */
export const NOTIFIER_RETRY = { maxRetryAttempts: 2, maxDelaySeconds: 10 } as const;

export function notifierRetries(): Transformer {
  return autoRetry({ ...NOTIFIER_RETRY, rethrowInternalServerErrors: true, rethrowHttpErrors: true });
}

/** A Bot API client for notifications: `api` with the bounded 429 retry installed. */
export function withNotifierRetries<A extends Api>(api: A): A {
  api.config.use(notifierRetries());
  return api;
}

export function createNotifier(
  api: Pick<Api, "sendMessage">,
  admins: Pick<AdminRepository, "list">,
  logger?: Logger,
): Notifier {
  return {
    async notifyAdmins(text, keyboard) {
      const result: NotifyResult = { sent: [], failed: [] };
      for (const admin of await admins.list()) {
        const lang = admin.language ?? DEFAULT_LANGUAGE;
        try {
          const markup = keyboard?.(LOCALES[lang], admin);
          await api.sendMessage(admin.userId, render(text, admin, lang), {
            parse_mode: "HTML",
            ...(markup ? { reply_markup: markup } : {}),
          });
          result.sent.push(admin.userId);
        } catch (err) {
          result.failed.push(admin.userId);
          logger?.warn("Could not notify an admin", {
            userId: admin.userId,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
      return result;
    },
  };
}

function render(text: NotificationText, _admin: Admin, lang: Language): string {
  return typeof text === "function" ? text(LOCALES[lang], lang) : text[lang];
}
