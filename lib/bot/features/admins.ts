/**
 * 👥 Admins: everyone sees the list; owners add (by user id, or by forwarding a message from the person) and
 * remove. The last owner cannot be removed: AdminRepository refuses, and the bot says what to do instead.
 */
import { Composer, InlineKeyboard } from "grammy";
import type { Message } from "grammy/types";
import { AdminError, parseUserId } from "../../bot-state/admins";
import { telegramActor } from "../../bot-state/audit";
import { cb, buttons, onButton } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import { pendingOf } from "../pending";
import { answer, show } from "../ui";
import { adminsList, cancelKeyboard } from "../views";

export function adminsFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const { admins, memory } = deps;

  const list = async (ctx: BotContext, notice?: string) =>
    show(ctx, adminsList(ctx.t, await admins.list(), ctx.admin, notice));

  /** Owners only; anyone else is told so. */
  const ownerOnly = async (ctx: BotContext): Promise<boolean> => {
    if (ctx.admin.role === "owner") return true;
    await answer(ctx, ctx.t.admins.ownersOnly, true);
    if (!ctx.callbackQuery) await ctx.reply(ctx.t.admins.ownersOnly);
    return false;
  };

  composer.callbackQuery(cb.admins, async (ctx) => {
    await answer(ctx);
    await list(ctx);
  });
  composer.command("admins", (ctx) => list(ctx));

  composer.callbackQuery(cb.addAdmin, async (ctx) => {
    if (!(await ownerOnly(ctx))) return;
    await answer(ctx);
    await memory.setPending(ctx.admin.userId, { kind: "admin-id" });
    await ctx.reply(ctx.t.admins.askId, { reply_markup: cancelKeyboard(ctx.t) });
  });

  composer.on("message", async (ctx, next) => {
    if (ctx.message.text?.startsWith("/")) return next();
    const pending = await pendingOf(ctx, deps);
    if (pending.state === "none" || pending.input.kind !== "admin-id") return next();
    if (pending.state === "expired" || ctx.admin.role !== "owner") {
      await memory.clearPending(ctx.admin.userId);
      return next();
    }
    const raw = userIdFrom(ctx.message);
    let userId: string;
    try {
      userId = parseUserId(raw ?? "");
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      return void (await ctx.reply(ctx.t.admins.badId));
    }
    const name = nameFrom(ctx.message);
    const { created } = await admins.add({
      userId,
      addedBy: telegramActor(ctx.admin.userId),
      ...(name ? { name } : {}),
    });
    await memory.clearPending(ctx.admin.userId);
    if (created)
      await deps.audit.record({
        action: "admin.added",
        actor: telegramActor(ctx.admin.userId),
        detail: userId,
      });
    await list(ctx, created ? ctx.t.admins.added(userId) : ctx.t.admins.already(userId));
  });

  onButton(composer, buttons.askRemoveAdmin, async (ctx, id) => {
    if (!(await ownerOnly(ctx))) return;
    await answer(ctx);
    await show(ctx, {
      text: ctx.t.admins.removeConfirm(id),
      keyboard: new InlineKeyboard()
        .text(ctx.t.admins.removeYes, cb.removeAdmin(id))
        .text(ctx.t.actions.deleteNo, cb.admins),
    });
  });

  onButton(composer, buttons.removeAdmin, async (ctx, id) => {
    if (!(await ownerOnly(ctx))) return;
    if (!(await admins.get(id))) {
      await answer(ctx, ctx.t.admins.notAdmin(id), true);
      return list(ctx, ctx.t.admins.notAdmin(id));
    }
    try {
      await admins.remove(id);
    } catch (err) {
      if (!(err instanceof AdminError)) throw err;
      await answer(ctx, ctx.t.admins.lastOwner, true);
      return list(ctx, ctx.t.admins.lastOwner);
    }
    await deps.audit.record({ action: "admin.removed", actor: telegramActor(ctx.admin.userId), detail: id });
    await answer(ctx, ctx.t.admins.removed(id));
    await list(ctx, ctx.t.admins.removed(id));
  });

  return composer;
}

/** The user id typed as text, or the sender of a forwarded message (unless they hide it in their privacy settings). */
function userIdFrom(message: Message): string | undefined {
  const origin = message.forward_origin;
  if (origin) return origin.type === "user" ? String(origin.sender_user.id) : undefined;
  return message.text;
}

function nameFrom(message: Message): string | undefined {
  const origin = message.forward_origin;
  if (origin?.type !== "user") return undefined;
  const u = origin.sender_user;
  return [u.first_name, u.last_name].filter(Boolean).join(" ") || undefined;
}
