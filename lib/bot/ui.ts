/** Showing a screen: a button press edits the message it belongs to; a command or text answers with a new one. */
import { GrammyError } from "grammy";
import type { SessionRepository } from "../sessions/repository";
import type { BotContext } from "./context";
import type { MenuCounts } from "./locales";
import type { View } from "./views";

export async function show(ctx: BotContext, view: View): Promise<void> {
  const options = { parse_mode: "HTML" as const, ...(view.keyboard ? { reply_markup: view.keyboard } : {}) };
  if (ctx.callbackQuery?.message) {
    try {
      await ctx.editMessageText(view.text, options);
      return;
    } catch (err) {
      // Pressing the same button twice shows the same screen: Telegram refuses the edit, nothing to do.
      if (err instanceof GrammyError && err.description.includes("message is not modified")) return;
      // A message too old to edit (48 h) gets a fresh one instead.
      if (!(err instanceof GrammyError && err.error_code === 400)) throw err;
    }
  }
  await ctx.reply(view.text, options);
}

/** Stops the button's spinner; with a text, shows it as a toast (or an alert the admin must close). */
export async function answer(ctx: BotContext, text?: string, alert = false): Promise<void> {
  if (!ctx.callbackQuery) return;
  await ctx.answerCallbackQuery(text ? { text, show_alert: alert } : undefined);
}

/**
 * How old the fleet counts on a menu may be. Counting reads the whole status index (about 200 read units per
 * `/start` at 2,000 sessions), so a warm container reuses its counts for this long; the bot's own changes (pause,
 * delete, login) forget them at once, and changes made elsewhere (the health check) show within this time.
 */
export const MENU_COUNTS_MAX_AGE_MS = 30_000;

/**
 * The main menu's fleet line: the counts per status, the pending logouts and the active sessions Telegram limits,
 * as old as MENU_COUNTS_MAX_AGE_MS. One read of the counter item gives them all (asking for each apart read it
 * again whenever the cached counts had expired).
 */
export async function menuCounts(sessions: SessionRepository): Promise<MenuCounts> {
  const fleet = await sessions.fleetCounts({ maxAgeMs: MENU_COUNTS_MAX_AGE_MS });
  return {
    ...fleet.byStatus,
    pendingRevocations: fleet.pendingRevocations,
    restricted: fleet.activeRestricted,
  };
}
