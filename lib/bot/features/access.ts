/**
 * Access: only admins get anything. A stranger gets one short refusal with their own user id (so an owner can
 * add them), at most once an hour; the hour mark is the only thing a stranger can make the bot write.
 * Groups, channels and anonymous senders are ignored: the bot is used in private chats only.
 *
 * Under a webhook, the container remembers the admins it has seen (AdminMemory): a warm update reads nothing here, and
 * the processed-once claim checks in the same transaction that the admin is still there, unchanged (features/once.ts).
 * Long polling (`npm run dev`) has no claim, so it reads the admin on every update.
 */
import { Composer, type Context } from "grammy";
import type { Admin } from "../../bot-state/admins";
import type { AdminFlavor, BotContext, BotDeps } from "../context";
import { LOCALES, languageFromCode } from "../locales";

/** The admins one container has seen, as it last read or checked them. Only ever trusted together with a check. */
export class AdminMemory {
  private readonly admins = new Map<string, Admin>();
  /** Read from the table for the update about to run (the cold start's first): that update need not check them. */
  private readonly justRead = new Set<string>();

  get(userId: string): Admin | undefined {
    return this.admins.get(userId);
  }

  remember(admin: Admin): void {
    this.admins.set(admin.userId, admin);
  }

  /** An admin just read from the table for the next update: that one update takes them as read, not remembered. */
  rememberJustRead(admin: Admin): void {
    this.remember(admin);
    this.justRead.add(admin.userId);
  }

  /** Whether `userId` was just read for this update (once: the next update takes them from memory). */
  takeJustRead(userId: string): boolean {
    return this.justRead.delete(userId);
  }

  forget(userId: string): void {
    this.admins.delete(userId);
    this.justRead.delete(userId);
  }
}

export function accessFeature(deps: BotDeps, memory?: AdminMemory): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(async (ctx, next) => {
    const from = ctx.from;
    // A sender without a numeric id is not something Telegram sends: ignored without a write.
    if (!from || typeof from.id !== "number" || from.is_bot || ctx.chat?.type !== "private") return;
    const userId = String(from.id);
    // Just read (the cold start's first update, read alongside the bot's info) counts as read here.
    const remembered = memory?.takeJustRead(userId) ? undefined : memory?.get(userId);
    const admin = remembered ?? memory?.get(userId) ?? (await deps.admins.get(userId));
    if (!admin) {
      await refuseStranger(ctx, deps, userId, from.language_code);
      return;
    }
    if (!remembered) memory?.remember(admin);
    admit(ctx, admin, remembered !== undefined);
    await next();
  });
  return composer;
}

/** Lets `admin` in: their language and texts on the context. */
export function admit(ctx: BotContext, admin: Admin, fromMemory: boolean): void {
  const lang = admin.language ?? languageFromCode(ctx.from?.language_code);
  Object.assign(ctx, { admin, lang, t: LOCALES[lang], adminFromMemory: fromMemory } satisfies AdminFlavor);
}

export async function refuseStranger(
  ctx: Context,
  deps: BotDeps,
  userId: string,
  code?: string,
): Promise<void> {
  // Only the first contact within the hour is answered: a stranger cannot make the bot spam or fill the table.
  if (ctx.callbackQuery) await ctx.answerCallbackQuery();
  if (!(await deps.memory.markStrangerRefused(userId))) return;
  deps.logger.info("Stranger refused", { userId });
  await ctx.reply(LOCALES[languageFromCode(code)].stranger(userId), { parse_mode: "HTML" });
}
