/** Language: each admin chooses theirs (`/language`); until then it follows Telegram's language_code. */
import { Composer, InlineKeyboard } from "grammy";
import type { Language } from "../../bot-state/admins";
import { buttons, cb, onButton } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import { LOCALES } from "../locales";
import { answer, show } from "../ui";
import { mainMenu } from "../views";
import { menuCounts } from "../ui";

const NAMES: Record<Language, string> = { uz: "🇺🇿 O‘zbekcha", en: "🇬🇧 English", ru: "🇷🇺 Русский" };

export function languageFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  const choose = async (ctx: BotContext) => {
    await answer(ctx);
    const keyboard = new InlineKeyboard();
    for (const lang of ["uz", "en", "ru"] as const) keyboard.text(NAMES[lang], cb.setLanguage(lang));
    await show(ctx, { text: ctx.t.language.choose, keyboard });
  };
  composer.command("language", choose);
  composer.callbackQuery(cb.languages, choose);

  onButton(composer, buttons.setLanguage, async (ctx, lang) => {
    await deps.admins.setLanguage(ctx.admin.userId, lang);
    Object.assign(ctx, { lang, t: LOCALES[lang] });
    await answer(ctx, ctx.t.language.set);
    await show(ctx, mainMenu(ctx.t, await menuCounts(deps.sessions), ctx.t.language.set));
  });
  return composer;
}
