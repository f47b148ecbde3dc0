/**
 * Each update is processed once. Telegram re-sends an update that got no 2xx (a timeout, a crash), so the update
 * id is claimed in the bot-state table before anything runs: a duplicate of a finished update is dropped; one whose
 * first delivery is still running (or crashed less than a minute ago) is answered non-2xx so Telegram retries.
 *
 * This runs after access, so a stranger's update writes no marker (the refusal mark is all a stranger writes). An
 * admin that access took from the container's memory is checked here, in the claim's transaction: if they were removed
 * or changed meanwhile, nothing is claimed and the update is answered as the table now says (a stranger's refusal, or
 * the admin's new role and language). So a warm update makes two DynamoDB calls of its own: the claim and the mark.
 * Once the work succeeded the update is answered 200 even if marking it done fails: a 503 would run it twice.
 *
 * Update ids are unique per bot, so the marker carries the bot's id. Long polling (`npm run dev`) needs no marker at
 * all: getUpdates' offset already confirms each update handled, and markers left by an earlier run (or another Bot
 * API server whose ids start again at 1) must not swallow new updates; createBot leaves this feature out there.
 */
import { Composer } from "grammy";
import { AdminRepository } from "../../bot-state/admins";
import { redactText } from "../../log";
import type { BotContext, BotDeps } from "../context";
import { admit, refuseStranger, type AdminMemory } from "./access";
import type { ReadAhead } from "../read-ahead";

/** Thrown (and turned into a 503 by the webhook) when the same update is being processed elsewhere right now. */
export class UpdateInProgressError extends Error {
  constructor(readonly updateId: number) {
    super(`Update ${updateId} is being processed by another invocation; Telegram will deliver it again.`);
    this.name = "UpdateInProgressError";
  }
}

/** The bot's id: the numeric prefix of its token (`123456789:AA…`), which is all of it that is not secret. */
export function botIdOf(token: string): number {
  const id = Number(token.split(":")[0]);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new Error(
      "The bot token does not start with the bot's numeric id: check BOT_TOKEN (from @BotFather).",
    );
  }
  return id;
}

export function onceFeature(
  deps: BotDeps,
  botId: number,
  admins?: AdminMemory,
  readAhead?: ReadAhead,
): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(async (ctx, next) => {
    const updateId = ctx.update.update_id;
    const id = { botId, updateId };
    // A screen that only shows what it reads starts its read now, alongside the claim; it is shown only once claimed.
    readAhead?.(ctx);
    // An admin this container remembered is checked in the claim's own transaction: no read of its own.
    let claim = ctx.adminFromMemory
      ? await deps.memory.claimUpdate(id, deps.admins.unchangedCheck(ctx.admin))
      : await deps.memory.claimUpdate(id);
    if (typeof claim === "object") {
      // Changed or removed since this container last saw them (another container, the CLI): the table decides.
      const now = AdminRepository.found(claim.found);
      if (!now) {
        admins?.forget(ctx.admin.userId);
        deps.logger.info("No longer an admin; answered as a stranger", { userId: ctx.admin.userId });
        await refuseStranger(ctx, deps, ctx.admin.userId, ctx.from?.language_code);
        return;
      }
      admins?.remember(now);
      admit(ctx, now, false);
      claim = await deps.memory.claimUpdate(id);
    }
    if (claim === "done") {
      deps.logger.info("Duplicate update skipped: already processed", { updateId, botId });
      return;
    }
    if (claim === "busy") throw new UpdateInProgressError(updateId);
    try {
      await next();
    } catch (err) {
      // Nobody was told about this failure: let Telegram's retry run the update again at once.
      await deps.memory.releaseUpdate(id).catch(() => undefined);
      throw err;
    }
    // The work is done and the admin has their answer: the update must be answered 200 now, whatever happens to
    // the mark. A 503 here would make Telegram deliver it again and run it a second time. Without the mark, the
    // claim's lock still turns away a duplicate for UPDATE_LOCK_SECONDS.
    await deps.memory.completeUpdate(id).catch((err: unknown) => {
      deps.logger.error("Update processed, but marking it done failed; answered 200 anyway", {
        updateId,
        error: redactText(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
      });
    });
  });
  return composer;
}
