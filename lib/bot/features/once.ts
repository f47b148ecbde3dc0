/**
 * Each update is processed once. Telegram re-sends an update that got no 2xx (a timeout, a crash), so the update
 * id is claimed in the bot-state table before anything runs: a duplicate of a finished update is dropped; one whose
 * first delivery is still running (or crashed less than a minute ago) is answered non-2xx so Telegram retries.
 *
 * This runs after access, so a stranger's update writes no marker (the refusal mark is all a stranger writes).
 */
import { Composer } from "grammy";
import type { BotContext, BotDeps } from "../context";

/** Thrown (and turned into a 503 by the webhook) when the same update is being processed elsewhere right now. */
export class UpdateInProgressError extends Error {
  constructor(readonly updateId: number) {
    super(`Update ${updateId} is being processed by another invocation; Telegram will deliver it again.`);
    this.name = "UpdateInProgressError";
  }
}

export function onceFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(async (ctx, next) => {
    const id = ctx.update.update_id;
    const claim = await deps.memory.claimUpdate(id);
    if (claim === "done") {
      deps.logger.info("Duplicate update dropped", { updateId: id });
      return;
    }
    if (claim === "busy") throw new UpdateInProgressError(id);
    try {
      await next();
    } catch (err) {
      // Nobody was told about this failure: let Telegram's retry run the update again at once.
      await deps.memory.releaseUpdate(id).catch(() => undefined);
      throw err;
    }
    await deps.memory.completeUpdate(id);
  });
  return composer;
}
