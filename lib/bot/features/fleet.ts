/**
 * 📈 Fleet: a PNG chart of the last 30 days (sessions per status per day, stacked; newly failed marked) sent as a
 * photo, with the fleet now and the last check in its caption. Drawn from the health-check run records.
 *
 * The chart library and the PNG renderer (lib/chart) are loaded here on the first press, never before: `/start` and
 * the session list do not pay for them (test/e2e/admin-bot-asset.test.ts).
 */
import { Composer, InlineKeyboard, InputFile } from "grammy";
import { hasFleetData, readFleetPicture } from "../../chart/fleet-history";
import { fleetPageUrl } from "../../miniapp/routes";
import { cb } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import { fleetChartLabels } from "../locales";
import { answer, MENU_COUNTS_MAX_AGE_MS, show } from "../ui";
import { formatTime } from "../views";

export function fleetFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const now = deps.now ?? (() => new Date());

  composer.callbackQuery(cb.fleet, async (ctx) => {
    const t = ctx.t;
    await answer(ctx, t.fleet.drawing);
    const [picture, counts] = await Promise.all([
      readFleetPicture(deps.runs, now()),
      deps.sessions.countByStatus({ maxAgeMs: MENU_COUNTS_MAX_AGE_MS }),
    ]);
    const back = new InlineKeyboard().text(t.menu.mainMenu, cb.menu);
    if (!hasFleetData(picture.days)) {
      await show(ctx, { text: t.fleet.noRuns, keyboard: back });
      return;
    }
    // With a Mini App (deployed: MINI_APP_URL), the same chart and the counts on a page of their own.
    const keyboard = deps.miniAppUrl
      ? new InlineKeyboard().webApp(t.fleet.openPage, fleetPageUrl(deps.miniAppUrl)).row().append(back)
      : back;
    const started = performance.now();
    const { fleetChartPng } = await import("../../chart/index.js");
    const png = await fleetChartPng(picture.days, fleetChartLabels(t));
    deps.logger.info("Fleet chart drawn", { ms: Math.round(performance.now() - started), bytes: png.length });
    const last = picture.lastRun;
    await ctx.replyWithPhoto(new InputFile(png, "fleet.png"), {
      caption: t.fleet.caption(
        counts,
        last ? { at: formatTime(last.finishedAt, t), checked: last.checked, failed: last.failed } : undefined,
      ),
      parse_mode: "HTML",
      reply_markup: keyboard,
    });
  });
  return composer;
}
