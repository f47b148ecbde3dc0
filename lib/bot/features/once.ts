/**
 * Each update is processed once. Telegram re-sends an update that got no 2xx (a timeout, a crash), so the update
 * id is claimed in the bot-state table before anything runs: a duplicate of a finished update is dropped; one whose
 * first delivery is still running (or crashed less than a minute ago) is answered non-2xx so Telegram retries.
 *
 * This runs after access, so a stranger's update writes no marker (the refusal mark is all a stranger writes).
 * Once the work succeeded the update is answered 200 even if marking it done fails: a 503 would run it twice.
 */
import { Composer } from "grammy";
import { redactText } from "../../log";
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
    // The work is done and the admin has their answer: the update must be answered 200 now, whatever happens to
    // the mark. A 503 here would make Telegram deliver it again and run it a second time. Without the mark, the
    // claim's lock still turns away a duplicate for UPDATE_LOCK_SECONDS.
    await deps.memory.completeUpdate(id).catch((err: unknown) => {
      deps.logger.error("Update processed, but marking it done failed; answered 200 anyway", {
        updateId: id,
        error: redactText(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
      });
    });
  });
  return composer;
}
