/**
 * Access: only admins get anything. A stranger gets one short refusal with their own user id (so an owner can
 * add them), at most once an hour; the hour mark is the only thing a stranger can make the bot write.
 * Groups, channels and anonymous senders are ignored: the bot is used in private chats only.
 */
import { Composer, type Context } from "grammy";
import type { AdminFlavor, BotContext, BotDeps } from "../context";
import { LOCALES, languageFromCode } from "../locales";

export function accessFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(async (ctx, next) => {
    const from = ctx.from;
    // A sender without a numeric id is not something Telegram sends: ignored without a write.
    if (!from || typeof from.id !== "number" || from.is_bot || ctx.chat?.type !== "private") return;
    const admin = await deps.admins.get(String(from.id));
    if (!admin) {
      await refuseStranger(ctx, deps, String(from.id), from.language_code);
      return;
    }
    const lang = admin.language ?? languageFromCode(from.language_code);
    Object.assign(ctx, { admin, lang, t: LOCALES[lang] } satisfies AdminFlavor);
    await next();
  });
  return composer;
}

async function refuseStranger(ctx: Context, deps: BotDeps, userId: string, code?: string): Promise<void> {
  // Only the first contact within the hour is answered: a stranger cannot make the bot spam or fill the table.
  if (ctx.callbackQuery) await ctx.answerCallbackQuery();
  if (!(await deps.memory.markStrangerRefused(userId))) return;
  deps.logger.info("Stranger refused", { userId });
  await ctx.reply(LOCALES[languageFromCode(code)].stranger(userId), { parse_mode: "HTML" });
}
