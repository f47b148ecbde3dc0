/** The admin's pending input (what their next text means), read once per update however many features ask. */
import type { BotContext, BotDeps } from "./context";
import type { PendingRead } from "../bot-state/chat-memory";
import type { Phone } from "../sessions/phone";

const cache = new WeakMap<BotContext, Promise<PendingRead>>();

/** `loginOf`: the phone whose login the update most likely answers (a keypad press names it): read in the same call. */
export function pendingOf(ctx: BotContext, deps: BotDeps, loginOf?: Phone): Promise<PendingRead> {
  let read = cache.get(ctx);
  if (!read) {
    read = deps.memory.getPending(ctx.admin.userId, loginOf);
    cache.set(ctx, read);
  }
  return read;
}

/** Deletes the message that carried a secret (login code, 2FA password). A failure is logged, never shown. */
export async function deleteSecretMessage(ctx: BotContext, deps: BotDeps): Promise<void> {
  try {
    await ctx.deleteMessage();
  } catch (err) {
    deps.logger.warn("Could not delete a message that carried a secret", {
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
