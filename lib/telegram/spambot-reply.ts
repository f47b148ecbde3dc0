/**
 * What @SpamBot's answer to /start says about the account: free, limited until a date, limited for good, or
 * something we do not recognise (kept verbatim for the operator). Patterns for the English and Russian answers; the
 * bot answers in the account's app language, which for our sessions is their identity's language code.
 */
import type { RestrictionReading } from "../sessions/session";

/** Longest reply text kept for an unknown answer. */
export const MAX_REPLY_TEXT = 1_000;

const FREE = [
  /no limits are currently applied/i,
  /free as a bird/i,
  /your account is not limited/i,
  /не наложено никаких ограничений/i,
  /свободен от каких-либо ограничений/i,
  /свободны,? как птица/i,
  /ваш аккаунт не ограничен/i,
];

const LIMITED = [/\blimited\b/i, /\blimitations?\b/i, /\brestricted\b/i, /огранич/i];

const EN_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const RU_MONTHS = ["янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"];

/** "until 5 Feb 2025, 12:36 UTC", "lifted automatically on 24 April 2023, 13:10 UTC", "до 5 февр. 2025, 12:36 UTC". */
const DATE =
  /(?:until|on|до|сняты|снято|снят)\s+(\d{1,2})\s+([A-Za-zА-Яа-яёЁ]+)\.?\s+(\d{4})(?:,?\s*(?:at\s+|в\s+)?(\d{1,2}):(\d{2}))?\s*(?:UTC)?/i;

function monthIndex(word: string): number | undefined {
  const w = word.toLowerCase();
  const en = EN_MONTHS.findIndex((m) => w.startsWith(m));
  if (en >= 0) return en;
  // "мая"/"май" (May) before "мар" (March): both start with "ма".
  if (w.startsWith("мар")) return 2;
  const ru = RU_MONTHS.findIndex((m) => w.startsWith(m));
  return ru >= 0 ? ru : undefined;
}

/** The date a limitation ends, as ISO, when the text names one we can read. */
function limitEnd(text: string): string | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const month = monthIndex(m[2]!);
  if (month === undefined) return undefined;
  const at = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4] ?? 0), Number(m[5] ?? 0));
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/** Classifies @SpamBot's reply; `checkedAt` is when it was read (ISO). */
export function classifySpamBotReply(text: string, checkedAt: string): RestrictionReading {
  const reply = text.trim();
  if (FREE.some((p) => p.test(reply))) return { state: "free", checkedAt };
  if (LIMITED.some((p) => p.test(reply))) {
    const until = limitEnd(reply);
    if (until) return { state: "limited", until, checkedAt };
    // A limitation whose text names a date we could not read is not "for good": keep it for a person.
    if (/\d{4}/.test(reply)) return { state: "unknown", text: reply.slice(0, MAX_REPLY_TEXT), checkedAt };
    return { state: "limited-forever", checkedAt };
  }
  return { state: "unknown", text: reply.slice(0, MAX_REPLY_TEXT), checkedAt };
}
