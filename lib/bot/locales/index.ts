/** The bot's languages. Uzbek is the default: it is what the operators speak. */
import type { Language } from "../../bot-state/admins";
import type { FleetChartLabels } from "../../chart/fleet-history";
import { en, type Texts } from "./en";
import { ru } from "./ru";
import { uz } from "./uz";

export type { BotCommandName, FailedSession, MenuCounts, RunCountsText, StatusCounts, Texts } from "./en";

export const LOCALES: Record<Language, Texts> = { uz, en, ru };

export const DEFAULT_LANGUAGE: Language = "uz";

/** The language for someone who has not chosen one, from Telegram's `language_code` ("uz", "ru-RU", …). */
export function languageFromCode(code: string | undefined): Language {
  const base = code?.slice(0, 2).toLowerCase();
  return base === "en" || base === "ru" || base === "uz" ? base : DEFAULT_LANGUAGE;
}

/** The texts on the fleet chart (📈 Fleet's photo, the Mini App's fleet page) in `t`'s language. */
export function fleetChartLabels(t: Texts): FleetChartLabels {
  return {
    title: t.fleet.chartTitle,
    subtitle: t.fleet.chartSubtitle,
    statusName: { active: t.statusName.active, paused: t.statusName.paused, error: t.statusName.error },
    newlyFailed: t.fleet.newlyFailed,
    sessionsAxis: t.fleet.sessionsAxis,
  };
}
