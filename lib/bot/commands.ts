/**
 * The command menu Telegram shows next to the message box, in each language. Called by the deploy step that sets
 * the webhook (not on each update: it is a Bot API call that changes nothing between deploys).
 */
import type { Api } from "grammy";
import { LANGUAGES } from "../bot-state/admins";
import { DEFAULT_LANGUAGE, LOCALES, type BotCommandName } from "./locales";

const ORDER: readonly BotCommandName[] = ["start", "sessions", "add", "admins", "language", "cancel"];

export function botCommands(lang: keyof typeof LOCALES): { command: string; description: string }[] {
  return ORDER.map((command) => ({ command, description: LOCALES[lang].commands[command] }));
}

export async function setBotCommands(api: Pick<Api, "setMyCommands">): Promise<void> {
  await api.setMyCommands(botCommands(DEFAULT_LANGUAGE));
  for (const lang of LANGUAGES) await api.setMyCommands(botCommands(lang), { language_code: lang });
}
