/**
 * ➕ Add Session: phone → code → 2FA password, over the userbot layer's stateless login steps. Which phone this
 * admin is adding, and at which step, is kept in the bot-state table (INPUT#<admin>), expiring with the login flow.
 *
 * The code is asked for with spaces between its digits: Telegram watches its chats and blocks a login whose code
 * was sent anywhere as it is. Messages that carried a code or password are deleted right after reading.
 */
import { Composer } from "grammy";
import { InvalidPhoneError, normalizePhone, type Phone } from "../../sessions/phone";
import type { LoginOutcome } from "../../telegram/contract";
import { cb } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import { deleteSecretMessage, pendingOf } from "../pending";
import { answer, show } from "../ui";
import { cancelKeyboard, esc, sessionCard } from "../views";

export function addSessionFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const { state } = deps;

  const begin = async (ctx: BotContext) => {
    await answer(ctx);
    await state.setPending(ctx.admin.userId, { kind: "phone" });
    await show(ctx, { text: ctx.t.add.askPhone, keyboard: cancelKeyboard(ctx.t) });
  };
  composer.callbackQuery(cb.addSession, begin);
  composer.command("add", begin);

  const cancel = async (ctx: BotContext) => {
    await answer(ctx);
    const pending = await pendingOf(ctx, deps);
    if (pending.state === "none") return void (await ctx.reply(ctx.t.add.nothingToCancel));
    const input = pending.input;
    if (input.kind === "code" || input.kind === "password") {
      const { login } = await deps.userbots();
      await login.cancel(input.phone);
    }
    await state.clearPending(ctx.admin.userId);
    await ctx.reply(ctx.t.add.cancelled);
  };
  composer.command("cancel", cancel);
  composer.callbackQuery(cb.cancel, cancel);

  composer.on("message:text", async (ctx, next) => {
    // Another command (/start, /sessions) is not an answer; the step keeps waiting.
    if (ctx.message.text.startsWith("/")) return next();
    const pending = await pendingOf(ctx, deps);
    if (pending.state === "none" || pending.input.kind === "admin-id") return next();
    const input = pending.input;
    const text = ctx.message.text;
    // A code or password is gone from the chat before anything else happens, whatever comes next.
    if (input.kind === "code" || input.kind === "password") await deleteSecretMessage(ctx, deps);
    if (pending.state === "expired") {
      await state.clearPending(ctx.admin.userId);
      if (input.kind !== "phone") {
        const { login } = await deps.userbots();
        await login.cancel(input.phone);
      }
      return void (await ctx.reply(ctx.t.add.expired));
    }
    const { login } = await deps.userbots();
    let phone: Phone;
    let outcome: LoginOutcome;
    switch (input.kind) {
      case "phone":
        try {
          phone = normalizePhone(text);
        } catch (err) {
          if (!(err instanceof InvalidPhoneError)) throw err;
          return void (await ctx.reply(ctx.t.add.badPhone, { parse_mode: "HTML" }));
        }
        await ctx.reply(ctx.t.add.starting(phone));
        outcome = await login.startLogin(phone, `tg:${ctx.admin.userId}`);
        break;
      case "code":
        phone = input.phone;
        outcome = await login.submitCode(phone, text);
        break;
      case "password":
        phone = input.phone;
        outcome = await login.submitPassword(phone, text);
        break;
    }
    await replyToOutcome(ctx, deps, phone, outcome);
  });

  return composer;
}

/** Every login outcome gets its own message that says what to do next, and moves the pending step along. */
async function replyToOutcome(ctx: BotContext, deps: BotDeps, phone: Phone, o: LoginOutcome): Promise<void> {
  const t = ctx.t.add;
  const me = ctx.admin.userId;
  const wait = (input: Parameters<typeof deps.state.setPending>[1], until?: string) =>
    deps.state.setPending(me, input, until ? new Date(until) : undefined);
  const stop = () => deps.state.clearPending(me);
  const say = (text: string, withCancel = false) =>
    ctx.reply(text, { parse_mode: "HTML", ...(withCancel ? { reply_markup: cancelKeyboard(ctx.t) } : {}) });

  switch (o.kind) {
    case "code-sent": {
      await wait({ kind: "code", phone }, o.flow.expiresAt);
      const where = t.delivery[o.flow.codeDelivery ?? "other"];
      const text = t.codeSent(phone, where, o.flow.codeLength);
      await say(o.flow.replacesExisting ? `${text}\n\n${t.replacesExisting}` : text, true);
      return;
    }
    case "password-needed":
      await wait({ kind: "password", phone }, o.flow.expiresAt);
      await say(t.askPassword(o.flow.passwordHint && esc(o.flow.passwordHint)), true);
      return;
    case "wrong-code":
      if (o.flow.attemptsLeft <= 0) {
        await stop();
        await say(t.tooManyAttempts);
      } else {
        await wait({ kind: "code", phone }, o.flow.expiresAt);
        await say(t.wrongCode(o.flow.attemptsLeft), true);
      }
      return;
    case "wrong-password":
      if (o.flow.attemptsLeft <= 0) {
        await stop();
        await say(t.tooManyAttempts);
      } else {
        await wait({ kind: "password", phone }, o.flow.expiresAt);
        await say(
          t.wrongPassword(o.flow.attemptsLeft, o.flow.passwordHint && esc(o.flow.passwordHint)),
          true,
        );
      }
      return;
    case "logged-in": {
      // The userbot layer records the login in the audit trail (it knows the account it logged in as).
      await stop();
      await show(ctx, sessionCard(ctx.t, o.session, t.loggedIn(o.replaced)));
      return;
    }
    case "invalid-phone":
      // Wait for another number.
      await wait({ kind: "phone" });
      await say(t.invalidPhone, true);
      return;
    case "unavailable":
      // Safe to retry the same step: the pending input stays as it is.
      await say(t.unavailable(esc(o.message)), true);
      return;
    case "code-expired":
      await stop();
      return void (await say(t.codeExpired));
    case "no-flow":
      await stop();
      return void (await say(t.noFlow));
    case "too-many-attempts":
      await stop();
      return void (await say(t.tooManyAttempts));
    case "phone-banned":
      await stop();
      return void (await say(t.phoneBanned));
    case "no-account":
      await stop();
      return void (await say(t.noAccount));
    case "flood-wait":
      await stop();
      return void (await say(t.floodWait(Math.ceil(o.seconds / 60))));
    case "api-credentials-invalid":
      await stop();
      return void (await say(t.apiCredentialsInvalid));
  }
}
