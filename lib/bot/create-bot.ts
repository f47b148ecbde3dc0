/**
 * The AdminBot: grammY's `Bot` with one Composer per feature. `createBot` makes no network call: `botInfo` is
 * given, so a cold start does not ask Telegram getMe.
 *
 * Order matters: access first (a stranger stops there, having written at most the hourly refusal mark), then the
 * processed-once claim (webhook delivery only), then the features inside an error boundary that tells the admin and answers 200, so one
 * failing update never blocks the chat behind it.
 */
import { Bot, type BotConfig as GrammyBotConfig } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import { redactText } from "../log";
import type { BotContext, BotDeps } from "./context";
import { AdminMemory, accessFeature } from "./features/access";
import { addSessionFeature } from "./features/add-session";
import { devicesFeature } from "./features/devices";
import { restrictionsFeature } from "./features/restrictions";
import { fleetFeature } from "./features/fleet";
import { adminsFeature } from "./features/admins";
import { languageFeature } from "./features/language";
import { menuFeature, menuReadAhead } from "./features/menu";
import { botIdOf, onceFeature } from "./features/once";
import { qrLoginFeature } from "./features/qr-login";
import { sessionsFeature, sessionsReadAhead } from "./features/sessions";
import { answer, show } from "./ui";
import { mainMenu } from "./views";
import { menuCounts } from "./ui";

export interface BotConfig {
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  /** Only for tests and a local Bot API server. */
  readonly client?: GrammyBotConfig<BotContext>["client"];
  /**
   * How updates arrive. `webhook` (the default): Telegram re-sends any update not answered 2xx, so each update id is
   * claimed once in the bot-state table. `polling` (`npm run dev`): getUpdates' offset already confirms what was
   * handled, so no marker is written or read.
   */
  readonly delivery?: "webhook" | "polling";
  /**
   * The admins this container has seen (webhook delivery; checked in each update's claim). Given, the caller may put
   * an admin in it that it read itself (the cold start reads the first update's sender alongside the bot's info).
   */
  readonly admins?: AdminMemory;
}

export function createBot(config: BotConfig, deps: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(config.token, {
    botInfo: config.botInfo,
    ...(config.client ? { client: config.client } : {}),
  });

  if (config.delivery === "polling") {
    bot.use(accessFeature(deps));
  } else {
    // One per container (the bot is built once per container): admins seen are not read again, but checked in
    // each update's claim.
    const admins = config.admins ?? new AdminMemory();
    bot.use(accessFeature(deps, admins));
    const readAhead = [menuReadAhead(deps), sessionsReadAhead(deps)];
    bot.use(
      onceFeature(deps, botIdOf(config.token), admins, (ctx) => readAhead.forEach((start) => start(ctx))),
    );
  }

  const features = bot.errorBoundary(async (err) => {
    const ctx = err.ctx;
    const error = err.error;
    deps.logger.error("Update failed; telling the admin", {
      updateId: ctx.update.update_id,
      error: redactText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
    });
    // If even this fails (Telegram unreachable), the error escapes: the claim is released and Telegram retries.
    if (ctx.callbackQuery) {
      // The button may have been answered already before the failure; then the message says it instead.
      const answered = await answer(ctx, ctx.t.failed, true).then(
        () => true,
        () => false,
      );
      if (answered) return;
    }
    await ctx.reply(ctx.t.failed);
  });
  features.use(menuFeature(deps));
  features.use(languageFeature(deps));
  features.use(addSessionFeature(deps));
  features.use(qrLoginFeature(deps));
  features.use(adminsFeature(deps));
  features.use(sessionsFeature(deps));
  features.use(devicesFeature(deps));
  features.use(restrictionsFeature(deps));
  features.use(fleetFeature(deps));

  // Whatever no feature took: an old or unknown button, or text the bot does not expect.
  features.on("callback_query", async (ctx) => {
    await answer(ctx, ctx.t.stale.unknownButton, true);
    await show(ctx, mainMenu(ctx.t, await menuCounts(deps.sessions), ctx.t.stale.unknownButton));
  });
  features.on("message", async (ctx) => {
    await ctx.reply(ctx.t.unknownText);
  });
  return bot;
}
