/** `/start` and the main menu: the three doors (Sessions, Add Session, Admins) and a one-line fleet summary. */
import { Composer } from "grammy";
import type { BotContext, BotDeps } from "../context";
import { cb } from "../callback-data";
import { answer, show } from "../ui";
import { mainMenu } from "../views";
import { menuCounts } from "../ui";

export function menuFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const open = async (ctx: BotContext) => {
    await answer(ctx);
    await show(ctx, mainMenu(ctx.t, await menuCounts(deps.sessions)));
  };
  composer.command(["start", "menu"], open);
  composer.callbackQuery(cb.menu, open);
  return composer;
}
