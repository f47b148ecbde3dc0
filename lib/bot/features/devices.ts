/**
 * 📱 Devices: the account's authorizations at Telegram (every device logged into it, ours flagged), read through the
 * session on demand; and ending one of them or all but ours, from the device list or from the health check's "new
 * login" summary. Ending is for owners only and always asks first. Telegram refuses it from a key younger than 24 h:
 * the answer says from when it becomes possible, and nothing changes.
 */
import { Composer } from "grammy";
import { telegramActor } from "../../bot-state/audit";
import { redactText } from "../../log";
import type { Phone } from "../../sessions/phone";
import type { EndAuthorizationOutcome } from "../../telegram/contract";
import { buttons, onButton } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import { answer, show } from "../ui";
import { deviceName, devicesView, endDeviceConfirm, esc, formatTime, sessionCard } from "../views";

/** A read of the devices (or an ending) must finish well inside the webhook's time budget, like a check. */
export const DEVICES_DEADLINE_MS = 15_000;

export function devicesFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  /** The device list, or the session's card with what went wrong (paused, in use, Telegram unreachable). */
  const list = async (ctx: BotContext, phone: Phone, notice?: string) => {
    const t = ctx.t;
    try {
      const { userbots } = await deps.userbots();
      const devices = await userbots.listDevices(phone, {
        deadlineMs: DEVICES_DEADLINE_MS,
        actor: `devices:tg:${ctx.admin.userId}`,
      });
      await show(ctx, devicesView(t, phone, devices, ctx.admin.role === "owner", notice));
    } catch (err) {
      await showFailure(ctx, deps, phone, err, notice);
    }
  };

  onButton(composer, buttons.devices, async (ctx, phone) => {
    await answer(ctx, ctx.t.devices.loading(phone));
    await list(ctx, phone);
  });

  onButton(composer, buttons.askEndDevice, async (ctx, { phone, hash }) => {
    if (!(await ownerOnly(ctx))) return;
    await answer(ctx);
    // The confirmation names the device: read it (a press from the summary may be days old; it may be gone).
    try {
      const { userbots } = await deps.userbots();
      const devices = await userbots.listDevices(phone, {
        deadlineMs: DEVICES_DEADLINE_MS,
        actor: `devices:tg:${ctx.admin.userId}`,
      });
      const device = devices.authorizations.find((a) => a.hash === hash && !a.current);
      if (!device) return await show(ctx, devicesView(ctx.t, phone, devices, true, ctx.t.devices.notFound));
      await show(ctx, endDeviceConfirm(ctx.t, phone, hash, deviceName(device)));
    } catch (err) {
      await showFailure(ctx, deps, phone, err);
    }
  });

  onButton(composer, buttons.askEndOthers, async (ctx, phone) => {
    if (!(await ownerOnly(ctx))) return;
    await answer(ctx);
    await show(ctx, endDeviceConfirm(ctx.t, phone, undefined));
  });

  const end = async (ctx: BotContext, phone: Phone, hash: string | undefined) => {
    const t = ctx.t;
    await answer(ctx, t.devices.ending);
    const options = { deadlineMs: DEVICES_DEADLINE_MS, actor: `devices:tg:${ctx.admin.userId}` };
    let outcome: EndAuthorizationOutcome;
    try {
      const { userbots } = await deps.userbots();
      outcome =
        hash === undefined
          ? await userbots.endOtherDevices(phone, options)
          : await userbots.endDevice(phone, hash, options);
    } catch (err) {
      return showFailure(ctx, deps, phone, err);
    }
    if (outcome.outcome === "ended") {
      await deps.audit.record({
        action: hash === undefined ? "session.devices-ended" : "session.device-ended",
        actor: telegramActor(ctx.admin.userId),
        phone,
        ...(hash !== undefined ? { detail: `authorization ${hash}` } : {}),
      });
    }
    const notice =
      outcome.outcome === "ended"
        ? hash === undefined
          ? t.devices.endedOthers
          : t.devices.ended
        : outcome.outcome === "not-found"
          ? t.devices.notFound
          : t.devices.tooFresh(formatTime(outcome.possibleFrom, t));
    await list(ctx, phone, notice);
  };

  onButton(composer, buttons.endDevice, async (ctx, { phone, hash }) => {
    if (await ownerOnly(ctx)) await end(ctx, phone, hash);
  });
  onButton(composer, buttons.endOthers, async (ctx, phone) => {
    if (await ownerOnly(ctx)) await end(ctx, phone, undefined);
  });

  return composer;
}

/** Ending a login is an owner's decision: anyone else is told so, and nothing is asked of Telegram. */
async function ownerOnly(ctx: BotContext): Promise<boolean> {
  if (ctx.admin.role === "owner") return true;
  await answer(ctx, ctx.t.devices.ownersOnly, true);
  return false;
}

/**
 * Telegram could not be asked (the session is paused, in error, in use, in a flood wait, gone; Telegram unreachable
 * or refusing): the session's card with the reason, or the reason alone when the session is gone.
 */
async function showFailure(
  ctx: BotContext,
  deps: BotDeps,
  phone: Phone,
  err: unknown,
  notice?: string,
): Promise<void> {
  const message = redactText(err instanceof Error ? err.message : String(err));
  deps.logger.warn("Session devices could not be read or ended", { phone, error: message });
  const text = [notice, ctx.t.devices.failed(esc(message))].filter(Boolean).join("\n\n");
  const session = await deps.sessions.get(phone);
  if (!session || session.status === "deleted") return show(ctx, { text: `${text}\n\n${ctx.t.stale.gone}` });
  await show(ctx, sessionCard(ctx.t, session, text, { owner: ctx.admin.role === "owner" }));
}
