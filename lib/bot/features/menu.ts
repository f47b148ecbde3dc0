/** `/start` and the main menu: the three doors (Sessions, Add Session, Admins) and a one-line fleet summary. */
import { Composer } from "grammy";
import type { BotContext, BotDeps } from "../context";
import { cb } from "../callback-data";
import { answer, show } from "../ui";
import { mainMenu } from "../views";
import { menuCounts } from "../ui";
import { early, startEarly, type ReadAhead } from "../read-ahead";

const COUNTS = "menuCounts";

/** `/start`, `/menu` and the Main menu button read the fleet counts: started alongside the claim (read-ahead.ts). */
export function menuReadAhead(deps: BotDeps): ReadAhead {
  return (ctx) => {
    const opens =
      ctx.callbackQuery?.data === cb.menu || /^\/(start|menu)(@\w+)?(\s|$)/.test(ctx.message?.text ?? "");
    if (opens) startEarly(ctx, COUNTS, () => menuCounts(deps.sessions));
  };
}

export function menuFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const open = async (ctx: BotContext) => {
    await answer(ctx);
    await show(ctx, mainMenu(ctx.t, await early(ctx, COUNTS, () => menuCounts(deps.sessions))));
  };
  composer.command(["start", "menu"], open);
  composer.callbackQuery(cb.menu, open);
  return composer;
}
