/**
 * Messages every admin, each in their own language. The health check sends one summary per run through this.
 * An admin who blocked the bot (or any send that fails) does not stop the others; the result says who got it.
 */
import type { Api } from "grammy";
import type { Logger } from "../log";
import type { Admin, AdminRepository, Language } from "../bot-state/admins";
import { DEFAULT_LANGUAGE, LOCALES, type Texts } from "./locales";

/** The text per language, or a function of the admin's locale texts. HTML: escape what came from outside. */
export type NotificationText = Record<Language, string> | ((t: Texts, lang: Language) => string);

export interface NotifyResult {
  readonly sent: string[];
  readonly failed: string[];
}

export interface Notifier {
  notifyAdmins(text: NotificationText): Promise<NotifyResult>;
}

export function createNotifier(
  api: Pick<Api, "sendMessage">,
  admins: Pick<AdminRepository, "list">,
  logger?: Logger,
): Notifier {
  return {
    async notifyAdmins(text) {
      const result: NotifyResult = { sent: [], failed: [] };
      for (const admin of await admins.list()) {
        const lang = admin.language ?? DEFAULT_LANGUAGE;
        try {
          await api.sendMessage(Number(admin.userId), render(text, admin, lang), { parse_mode: "HTML" });
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
