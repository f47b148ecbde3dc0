/**
 * ➕ Add Session: phone → code → 2FA password, over the userbot layer's stateless login steps. Which login this
 * admin's next message answers is kept in the bot-state table (INPUT#<admin>); whether it waits for a code or a
 * password, the code's length and the expiry are the login flow's own, read with it.
 *
 * Telegram watches its chats and blocks a login whose code was sent anywhere as it is (digits separated by dashes
 * included). So the code prompt carries a keypad: its presses arrive as callback queries, the code never becomes a
 * message, and the keypad's message shows only dots. The digits entered so far wait on the admin's INPUT item,
 * encrypted like a login flow (never logged, gone on submit and cancel). Typing the code with spaces between the digits still works;
 * messages that carried a code or password are deleted right after reading.
 *
 * Two ways keep the code out of the chat altogether and come first: the Mini App form (a `web_app` button under
 * every code and password prompt when MINI_APP_URL is set; lib/miniapp), and QR login (qr-login.ts), offered on
 * the first screen.
 */
import { Composer, InlineKeyboard } from "grammy";
import { InvalidPhoneError, type Phone } from "../../sessions/phone-form";
import type { LoginOutcome } from "../../telegram/contract";
import { buttons, cb, onButton, type KeypadKey } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import {
  applyPendingChange,
  loggedInCard,
  loginEndedText,
  pendingAfterLogin,
  whoStarted,
} from "../login-progress";
import { DEFAULT_LANGUAGE, LOCALES } from "../locales";
import { deleteSecretMessage, pendingOf } from "../pending";
import { answer, show } from "../ui";
import type { Texts } from "../locales";
import type { PendingInput } from "../../bot-state/chat-memory";
import { telegramActor } from "../../bot-state/audit";
import { cancelKeyboard, esc, formatTime, withFormButton } from "../views";
import { qrOwner, replyToQrOutcome } from "./qr-login";

/** The most digits the keypad takes when Telegram did not say the code's length. */
const KEYPAD_MAX_DIGITS = 8;

/** "●●●○○" for 3 of 5 digits; without a known length only the entered ones ("○" when none). */
export function keypadDots(entered: number, length?: number): string {
  if (length) return "●".repeat(Math.min(entered, length)) + "○".repeat(Math.max(0, length - entered));
  return entered > 0 ? "●".repeat(entered) : "○";
}

/** The keypad for the login of `phone` (its buttons name the phone). */
export function codeKeypad(t: Texts, phone: Phone, miniAppUrl?: string): InlineKeyboard {
  const k = new InlineKeyboard();
  const rows: KeypadKey[][] = [
    ["1", "2", "3"],
    ["4", "5", "6"],
    ["7", "8", "9"],
  ];
  for (const row of rows) {
    for (const d of row) k.text(d, cb.key(d, phone));
    k.row();
  }
  k.text("⌫", cb.key("erase", phone))
    .text("0", cb.key("0", phone))
    .text("✅", cb.key("submit", phone))
    .row()
    .text(t.add.cancelButton, cb.cancel);
  return withFormButton(t, miniAppUrl, k);
}

export function addSessionFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const { memory } = deps;

  const begin = async (ctx: BotContext) => {
    await answer(ctx);
    await memory.setPending(ctx.admin.userId, { kind: "phone" });
    await show(ctx, {
      text: ctx.t.add.askPhone,
      keyboard: new InlineKeyboard()
        .text(ctx.t.qr.button, cb.qrStart)
        .row()
        .text(ctx.t.add.cancelButton, cb.cancel),
    });
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
      // Only this admin's own login ends: one an owner took over goes on.
      await login.cancel(input.phone, actorOf(ctx));
      // Not forgotten but ended: a code or password the admin sends after /cancel (already typing it, say) is
      // still deleted from the chat, and answered as cancelled rather than "not understood".
      await memory.setPending(
        ctx.admin.userId,
        { kind: "login", phone: input.phone, cancelled: true },
        new Date((deps.now?.() ?? new Date()).getTime() - 1_000),
      );
    } else if (input.kind === "qr" || input.kind === "qr-password") {
      const { qr } = await deps.userbots();
      await qr.cancelQr(qrOwner(ctx));
      if (input.kind === "qr") await memory.clearPending(ctx.admin.userId);
      else {
        // As for a phone login's password: one typed after /cancel is still deleted.
        await memory.setPending(
          ctx.admin.userId,
          { kind: "qr-password", cancelled: true },
          new Date((deps.now?.() ?? new Date()).getTime() - 1_000),
        );
      }
    } else {
      await memory.clearPending(ctx.admin.userId);
    }
    await ctx.reply(ctx.t.add.cancelled);
  };
  composer.command("cancel", cancel);
  composer.callbackQuery(cb.cancel, cancel);

  /** A keypad press; `phone`: the login its keypad was drawn for (absent on keypads drawn before it was named). */
  const onKeypad = async (ctx: BotContext, pressed: KeypadKey, phone?: Phone) => {
    const pending = await pendingOf(ctx, deps, phone);
    const cancelled = pending.state !== "none" && pending.input.kind === "code" && pending.input.cancelled;
    if (pending.state === "none" || cancelled) {
      await answer(ctx);
      return void (await show(ctx, { text: ctx.t.add.noFlow }));
    }
    if (pending.input.kind !== "code") {
      // An old keypad while the bot waits for something else (the 2FA password): that step goes on.
      return void (await answer(ctx, ctx.t.add.keypadStale, true));
    }
    if (pending.state === "expired") {
      await answer(ctx);
      await memory.clearPending(ctx.admin.userId);
      const { login } = await deps.userbots();
      await login.cancel(pending.input.phone, actorOf(ctx));
      return void (await show(ctx, { text: ctx.t.add.expired }));
    }
    const input = pending.input;
    if (pressed === "submit") {
      const digits = input.digits ?? "";
      const length = input.flow?.codeLength;
      const needed = length ?? 5;
      if (digits.length < needed) return void (await answer(ctx, ctx.t.add.keypadIncomplete(needed)));
      await answer(ctx);
      // The digits leave the bot state before Telegram is asked: a retry starts from an empty keypad.
      await memory.setCodeDigits(ctx.admin.userId, input, "");
      // The keypad goes away while Telegram is asked; the outcome replaces (or follows) this message.
      await show(ctx, { text: ctx.t.add.keypadSent(input.phone, keypadDots(digits.length, length)) });
      const { login } = await deps.userbots();
      // With separators, like a typed code: the login layer takes any.
      const outcome = await login.submitCode(input.phone, digits.split("").join(" "), actorOf(ctx));
      return replyToOutcome(ctx, deps, input.phone, outcome);
    }
    // A digit or an erase, applied to the digits as they are now (another press may have landed meanwhile).
    let current: PendingInput = input;
    for (let attempt = 0; attempt < 3 && current.kind === "code"; attempt++) {
      const before = current.digits ?? "";
      const max = current.flow?.codeLength ?? KEYPAD_MAX_DIGITS;
      const after =
        pressed === "erase" ? before.slice(0, -1) : before.length < max ? before + pressed : before;
      if (after !== before && !(await memory.setCodeDigits(ctx.admin.userId, current, after))) {
        const again = await memory.getPending(ctx.admin.userId, input.phone);
        if (again.state !== "waiting") break;
        current = again.input;
        continue;
      }
      await answer(ctx);
      return void (await show(ctx, {
        text: ctx.t.add.keypad(input.phone, keypadDots(after.length, current.flow?.codeLength)),
        keyboard: codeKeypad(ctx.t, input.phone, deps.miniAppUrl),
      }));
    }
    await answer(ctx, ctx.t.add.keypadRetry);
  };
  onButton(composer, buttons.keypad, onKeypad);
  onButton(composer, buttons.keypadOf, (ctx, { key, phone }) => onKeypad(ctx, key, phone));

  // "⚠️ Take over" under a refused start: an owner is asked to confirm, with whose login it is and until when.
  onButton(composer, buttons.takeOver, async (ctx, phone) => {
    if (ctx.admin.role !== "owner") return void (await answer(ctx, ctx.t.add.takeOverOwnersOnly, true));
    await answer(ctx);
    const { login } = await deps.userbots();
    const flow = await login.getFlow(phone);
    if (!flow || flow.startedBy === actorOf(ctx)) {
      await memory.setPending(ctx.admin.userId, { kind: "phone" });
      return void (await show(ctx, { text: ctx.t.add.takeOverGone(phone), keyboard: cancelKeyboard(ctx.t) }));
    }
    const who = await whoStarted(deps, ctx.t, flow.startedBy);
    await show(ctx, {
      text: ctx.t.add.takeOverConfirm(phone, who, formatTime(flow.expiresAt, ctx.t)),
      keyboard: new InlineKeyboard()
        .text(ctx.t.add.takeOverYes, cb.confirmTakeOver(phone))
        .row()
        .text(ctx.t.add.cancelButton, cb.cancel),
    });
  });

  // Confirmed: the other login ends (its key logged out at Telegram), a new code is sent, its admin is told.
  onButton(composer, buttons.confirmTakeOver, async (ctx, phone) => {
    if (ctx.admin.role !== "owner") return void (await answer(ctx, ctx.t.add.takeOverOwnersOnly, true));
    await answer(ctx);
    await show(ctx, { text: ctx.t.add.starting(phone) });
    const { login } = await deps.userbots();
    const outcome = await login.startLogin(phone, actorOf(ctx), { takeOver: true });
    if (outcome.kind === "code-sent" && outcome.tookOverFrom) {
      await tellTakenOver(ctx, deps, phone, outcome.tookOverFrom);
    }
    await replyToOutcome(ctx, deps, phone, outcome, true);
  });

  composer.on("message:text", async (ctx, next) => {
    // Another command (/start, /sessions) is not an answer; the step keeps waiting.
    if (ctx.message.text.startsWith("/")) return next();
    const pending = await pendingOf(ctx, deps);
    if (pending.state === "none" || pending.input.kind === "admin-id") return next();
    const input = pending.input;
    const text = ctx.message.text;
    const secret = input.kind === "code" || input.kind === "password" || input.kind === "qr-password";
    // A code or password is gone from the chat before anything else happens, whatever comes next.
    if (secret) await deleteSecretMessage(ctx, deps);
    if (pending.state === "expired") {
      await memory.clearPending(ctx.admin.userId);
      if (secret && input.cancelled) return void (await ctx.reply(ctx.t.add.cancelledLate));
      if (input.kind === "code" || input.kind === "password") {
        const { login } = await deps.userbots();
        await login.cancel(input.phone, actorOf(ctx));
      } else if (input.kind === "qr" || input.kind === "qr-password") {
        const { qr } = await deps.userbots();
        await qr.cancelQr(qrOwner(ctx));
      }
      return void (await ctx.reply(ctx.t.add.expired));
    }
    if (input.kind === "qr") {
      // Waiting for a scan, not for text: say what the button is for.
      return void (await ctx.reply(ctx.t.qr.notYet));
    }
    if (input.kind === "qr-password") {
      const { qr } = await deps.userbots();
      return replyToQrOutcome(ctx, deps, await qr.submitQrPassword(qrOwner(ctx), text));
    }
    const { login } = await deps.userbots();
    let phone: Phone;
    let outcome: LoginOutcome;
    switch (input.kind) {
      case "phone":
        try {
          // Loaded here, not at start-up: libphonenumber's metadata is 200 KB the webhook's cold path never needs.
          const { normalizePhone } = await import("../../sessions/phone.js");
          phone = normalizePhone(text);
        } catch (err) {
          if (!(err instanceof InvalidPhoneError)) throw err;
          return void (await ctx.reply(ctx.t.add.badPhone, { parse_mode: "HTML" }));
        }
        await ctx.reply(ctx.t.add.starting(phone));
        outcome = await login.startLogin(phone, actorOf(ctx));
        break;
      case "code":
        phone = input.phone;
        outcome = await login.submitCode(phone, text, actorOf(ctx));
        break;
      case "password":
        phone = input.phone;
        outcome = await login.submitPassword(phone, text, actorOf(ctx));
        break;
    }
    await replyToOutcome(ctx, deps, phone, outcome, input.kind === "phone");
  });

  return composer;
}

/** The login flows' name for this admin. */
function actorOf(ctx: BotContext): string {
  return telegramActor(ctx.admin.userId);
}

/**
 * An owner took over the login `from` started: that admin's step (if it is still this phone's) ends as a cancel
 * does (a code typed after it is still deleted), and they are told by whom, in their language.
 */
async function tellTakenOver(ctx: BotContext, deps: BotDeps, phone: Phone, from: string): Promise<void> {
  if (!from.startsWith("tg:")) return;
  const adminId = from.slice(3);
  try {
    const pending = await deps.memory.getPending(adminId);
    if (
      pending.state !== "none" &&
      (pending.input.kind === "code" || pending.input.kind === "password") &&
      pending.input.phone === phone
    ) {
      await deps.memory.setPending(
        adminId,
        { kind: "login", phone, cancelled: true },
        new Date((deps.now?.() ?? new Date()).getTime() - 1_000),
      );
    }
    const admin = await deps.admins.get(adminId);
    const t = LOCALES[admin?.language ?? DEFAULT_LANGUAGE];
    const who = esc(t.add.adminLabel(ctx.admin.userId, ctx.admin.name));
    await ctx.api.sendMessage(Number(adminId), t.add.takenOver(phone, who), { parse_mode: "HTML" });
  } catch (err) {
    // The take-over itself is done; only the notice (or the old step's end) did not get through.
    deps.logger.warn("Could not tell an admin their login was taken over", {
      userId: adminId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** Every login outcome gets its own message that says what to do next, and moves the pending step along. */
async function replyToOutcome(
  ctx: BotContext,
  deps: BotDeps,
  phone: Phone,
  o: LoginOutcome,
  atStart = false,
): Promise<void> {
  const t = ctx.t.add;
  await applyPendingChange(deps, ctx.admin.userId, pendingAfterLogin(o, phone));
  const say = (text: string, keyboard?: InlineKeyboard) =>
    ctx.reply(text, { parse_mode: "HTML", ...(keyboard ? { reply_markup: keyboard } : {}) });
  /** A code prompt: a new message with an empty keypad under it (the old keypad, if any, keeps its dots). */
  const askCode = (text: string, length: number | undefined) =>
    say(`${text}\n\n${t.keypadLine(keypadDots(0, length))}`, codeKeypad(ctx.t, phone, deps.miniAppUrl));
  const passwordKeyboard = () => withFormButton(ctx.t, deps.miniAppUrl, cancelKeyboard(ctx.t));

  switch (o.kind) {
    case "code-sent": {
      const where = t.delivery[o.flow.codeDelivery ?? "other"];
      const text = t.codeSent(phone, where, o.flow.codeLength);
      await askCode(o.flow.replacesExisting ? `${text}\n\n${t.replacesExisting}` : text, o.flow.codeLength);
      return;
    }
    case "password-needed":
      await say(t.askPassword(o.flow.passwordHint && esc(o.flow.passwordHint)), passwordKeyboard());
      return;
    case "wrong-code":
      if (o.flow.attemptsLeft <= 0) await say(t.tooManyAttempts);
      else await askCode(t.wrongCode(o.flow.attemptsLeft), o.flow.codeLength);
      return;
    case "wrong-password":
      if (o.flow.attemptsLeft <= 0) await say(t.tooManyAttempts);
      else {
        await say(
          t.wrongPassword(o.flow.attemptsLeft, o.flow.passwordHint && esc(o.flow.passwordHint)),
          passwordKeyboard(),
        );
      }
      return;
    case "logged-in":
      // The userbot layer records the login in the audit trail (it knows the account it logged in as).
      await show(ctx, loggedInCard(ctx.t, o, { owner: ctx.admin.role === "owner" }));
      return;
    case "invalid-phone":
      // Wait for another number.
      await say(t.invalidPhone, cancelKeyboard(ctx.t));
      return;
    case "unavailable":
      // Safe to retry the same step: the pending input stays as it is.
      await say(t.unavailable(esc(o.message)), cancelKeyboard(ctx.t));
      return;
    case "flow-held": {
      const who = await whoStarted(deps, ctx.t, o.flow.startedBy);
      const until = formatTime(o.flow.expiresAt, ctx.t);
      if (atStart) {
        const owner = ctx.admin.role === "owner";
        const keyboard = owner
          ? new InlineKeyboard()
              .text(t.takeOverButton, cb.takeOver(phone))
              .row()
              .text(t.cancelButton, cb.cancel)
          : cancelKeyboard(ctx.t);
        await say(t.heldByOther(phone, who, until, owner), keyboard);
      } else {
        await say(t.notYours(phone, who, until));
      }
      return;
    }
    default:
      await say(loginEndedText(ctx.t, o) ?? t.noFlow);
  }
}
