/**
 * ➕ Add Session by QR code: no phone number, no code in any chat. The bot shows a QR code (a login token of a
 * fresh session, auth.exportLoginToken); the account's owner scans it in Telegram → Settings → Devices → Link
 * Desktop Device; "I scanned it" asks Telegram whether the token was accepted (waiting a few seconds for the scan),
 * renews an expired code in place, and goes on to the 2FA password (Mini App form or chat) when the account has
 * one. Each press is its own stateless step: the temporary session waits encrypted in the bot-state table.
 */
import { Composer, GrammyError, InlineKeyboard, InputFile } from "grammy";
import type { QrLoginOutcome } from "../../telegram/contract";
import { cb } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import { applyPendingChange, loggedInCard, loginEndedText, pendingAfterQr } from "../login-progress";
import { pendingOf } from "../pending";
import { answer, show } from "../ui";
import { cancelKeyboard, esc, withFormButton } from "../views";
import { telegramActor } from "../../bot-state/audit";

/** How long one "I scanned it" press waits for the scan before answering "not yet" (the callback must be answered). */
export const QR_POLL_WAIT_MS = 4_000;

export const qrOwner = (ctx: BotContext) => telegramActor(ctx.admin.userId);

export function qrLoginFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.callbackQuery(cb.qrStart, async (ctx) => {
    await answer(ctx);
    await show(ctx, { text: ctx.t.qr.starting });
    const { qr } = await deps.userbots();
    await replyToQrOutcome(ctx, deps, await qr.startQr(qrOwner(ctx)));
  });

  composer.callbackQuery(cb.qrScanned, async (ctx) => {
    const pending = await pendingOf(ctx, deps);
    if (pending.state === "waiting" && pending.input.kind === "qr-password") {
      // Pressed again after the scan: the login goes on, at the password.
      return void (await answer(ctx, ctx.t.qr.waitingPassword, true));
    }
    if (pending.state !== "waiting" || pending.input.kind !== "qr") {
      // Finished, cancelled, expired, or already at the password step: nothing to ask Telegram.
      await answer(ctx, ctx.t.qr.over, true);
      await dropButtons(ctx);
      return;
    }
    const { qr } = await deps.userbots();
    await replyToQrOutcome(ctx, deps, await qr.pollQr(qrOwner(ctx), { waitMs: QR_POLL_WAIT_MS }));
  });

  return composer;
}

/** Every QR outcome: the pending step moves along, the photo is renewed or closed, the admin told what is next. */
export async function replyToQrOutcome(ctx: BotContext, deps: BotDeps, o: QrLoginOutcome): Promise<void> {
  const t = ctx.t;
  await applyPendingChange(deps, ctx.admin.userId, pendingAfterQr(o));
  const now = deps.now?.() ?? new Date();
  const onPhoto = ctx.callbackQuery?.data === cb.qrScanned;
  const say = (text: string, keyboard?: InlineKeyboard) =>
    ctx.reply(text, { parse_mode: "HTML", ...(keyboard ? { reply_markup: keyboard } : {}) });
  const passwordKeyboard = () => withFormButton(t, deps.miniAppUrl, cancelKeyboard(t));

  switch (o.kind) {
    case "qr": {
      const seconds = Math.max(0, Math.round((Date.parse(o.tokenExpiresAt) - now.getTime()) / 1000));
      const caption = t.qr.caption(seconds, `${o.tokenExpiresAt.slice(11, 19)} UTC`, o.renewed);
      const keyboard = new InlineKeyboard()
        .text(t.qr.scannedButton, cb.qrScanned)
        .row()
        .text(t.add.cancelButton, cb.cancel);
      const options = { caption, parse_mode: "HTML" as const, reply_markup: keyboard };
      if (!onPhoto) {
        await ctx.replyWithPhoto(await qrImage(o.url), options);
        return;
      }
      if (!o.renewed) {
        // Same code, still waiting: say so, and bring the countdown up to date.
        await answer(ctx, t.qr.notYet, true);
        await ctx.editMessageCaption(options).catch(ignoreNotModified);
        return;
      }
      await answer(ctx);
      await ctx.editMessageMedia(
        { type: "photo", media: await qrImage(o.url), ...options },
        { reply_markup: keyboard },
      );
      return;
    }
    case "password-needed":
      await answer(ctx);
      if (onPhoto) await closePhoto(ctx, t.qr.scannedCaption);
      await say(t.qr.passwordNeeded(o.flow.passwordHint && esc(o.flow.passwordHint)), passwordKeyboard());
      return;
    case "wrong-password":
      if (o.flow.attemptsLeft <= 0) return void (await say(t.add.tooManyAttempts));
      await say(
        t.add.wrongPassword(o.flow.attemptsLeft, o.flow.passwordHint && esc(o.flow.passwordHint)),
        passwordKeyboard(),
      );
      return;
    case "logged-in": {
      await answer(ctx);
      if (onPhoto) await closePhoto(ctx, t.qr.loggedInCaption);
      const card = loggedInCard(t, o, { owner: ctx.admin.role === "owner" });
      await say(card.text, card.keyboard);
      return;
    }
    case "unavailable":
      // Safe to press again: the flow and the pending step stay as they were.
      await answer(ctx);
      await say(t.add.unavailable(esc(o.message)), cancelKeyboard(t));
      return;
    case "no-flow":
      await answer(ctx);
      if (onPhoto) await dropButtons(ctx);
      await say(t.qr.over);
      return;
    default:
      await answer(ctx);
      if (onPhoto) await dropButtons(ctx);
      await say(loginEndedText(t, o) ?? t.qr.over);
  }
}

/** The QR code of a login token URL (tg://login?token=…), as a PNG upload. Loaded only when a QR login runs. */
async function qrImage(url: string): Promise<InputFile> {
  const { toBuffer } = await import("qrcode");
  const png = await toBuffer(url, { type: "png", errorCorrectionLevel: "M", margin: 2, width: 480 });
  return new InputFile(png, "login-qr.png");
}

/** The photo's buttons go; a code that can no longer be used must not invite another press. */
async function dropButtons(ctx: BotContext): Promise<void> {
  await ctx.editMessageReplyMarkup({ reply_markup: new InlineKeyboard() }).catch(ignoreNotModified);
}

async function closePhoto(ctx: BotContext, caption: string): Promise<void> {
  await ctx.editMessageCaption({ caption, reply_markup: new InlineKeyboard() }).catch(ignoreNotModified);
}

function ignoreNotModified(err: unknown): void {
  // "message is not modified", or a photo too old to edit: the new message below says what happened.
  if (err instanceof GrammyError && err.error_code === 400) return;
  throw err;
}
