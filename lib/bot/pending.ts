/** The admin's pending input (what their next text means), read once per update however many features ask. */
import type { BotContext, BotDeps } from "./context";
import type { PendingRead } from "../bot-state/chat-memory";

const cache = new WeakMap<BotContext, Promise<PendingRead>>();

export function pendingOf(ctx: BotContext, deps: BotDeps): Promise<PendingRead> {
  let read = cache.get(ctx);
  if (!read) {
    read = deps.memory.getPending(ctx.admin.userId);
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
