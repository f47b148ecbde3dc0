/**
 * 🔎 Restrictions on a session's card: an owner asks @SpamBot through the session whether Telegram limits the
 * account, the same check as `sessions spambot <phone>` (lib/telegram/spambot.ts: /start to @SpamBot, its reply
 * classified and stored with its date), and sees the card again with the reading. It sends a message from the
 * account, so it is an owner's decision: the button is drawn for owners only, and a press from anyone else (a
 * forged callback) is refused before anything is read or sent.
 */
import { Composer } from "grammy";
import { telegramActor } from "../../bot-state/audit";
import { ConfigError } from "../../config";
import { redactText } from "../../log";
import { LeaseHeldError } from "../../sessions/errors";
import type { Phone } from "../../sessions/phone";
import type { RestrictionReading } from "../../sessions/session";
import { buttons, onButton } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import { answer, show } from "../ui";
import { esc, formatTime, sessionCard } from "../views";

/** The check waits up to 6 s for @SpamBot's answer: within the webhook's time budget, like a check. */
export const RESTRICTIONS_DEADLINE_MS = 20_000;

export function restrictionsFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  onButton(composer, buttons.restrictions, async (ctx, phone) => {
    const t = ctx.t;
    if (ctx.admin.role !== "owner") return answer(ctx, t.restrictions.ownersOnly, true);
    await answer(ctx, t.restrictions.asking(phone));
    await show(ctx, { text: t.restrictions.asking(phone) });
    let notice: string;
    try {
      const { userbots } = await deps.userbots();
      const reading: RestrictionReading = await userbots.checkRestriction(phone, {
        deadlineMs: RESTRICTIONS_DEADLINE_MS,
        actor: `spambot:${telegramActor(ctx.admin.userId)}`,
      });
      notice = t.restrictions.result(reading.state);
    } catch (err) {
      notice = failureNotice(ctx, deps, phone, err);
    }
    await showCard(ctx, deps, phone, notice);
  });

  return composer;
}

function failureNotice(ctx: BotContext, deps: BotDeps, phone: Phone, err: unknown): string {
  const t = ctx.t;
  if (err instanceof LeaseHeldError) return t.actions.busy(formatTime(err.until, t));
  if (err instanceof ConfigError) {
    deps.logger.warn("Restrictions cannot be asked: configuration missing", { variable: err.variable });
    return t.check.notConfigured(esc(err.message));
  }
  const message = redactText(err instanceof Error ? err.message : String(err));
  deps.logger.warn("@SpamBot could not be asked", { phone, error: message });
  return t.restrictions.failed(esc(message));
}

/** The card again with `notice` (the "Asking…" message has no buttons), or the notice alone when it is gone. */
async function showCard(ctx: BotContext, deps: BotDeps, phone: Phone, notice: string): Promise<void> {
  const session = await deps.sessions.get(phone);
  if (!session || session.status === "deleted") {
    return show(ctx, { text: `${notice}\n\n${ctx.t.stale.gone}` });
  }
  await show(ctx, sessionCard(ctx.t, session, notice, { owner: ctx.admin.role === "owner" }));
}
