/**
 * Counted nouns by the language's plural rules (`Intl.PluralRules`, CLDR): "1 session", "2 sessions";
 * "1 сессия", "3 сессии", "5 сессий". Never "session(s)". A language's forms list only the categories it uses;
 * `other` is always there and catches the rest.
 */
export interface PluralForms {
  readonly zero?: string;
  readonly one?: string;
  readonly two?: string;
  readonly few?: string;
  readonly many?: string;
  readonly other: string;
}

const rules = new Map<string, Intl.PluralRules>();

function rulesFor(locale: string): Intl.PluralRules {
  let r = rules.get(locale);
  if (!r) {
    r = new Intl.PluralRules(locale);
    rules.set(locale, r);
  }
  return r;
}

/** The word for `n` in `locale`: `pluralWord("ru", 3, { one: "сессия", few: "сессии", many: "сессий", other: "сессии" })`. */
export function pluralWord(locale: string, n: number, forms: PluralForms): string {
  return forms[rulesFor(locale).select(n)] ?? forms.other;
}

/** `n` and its word: "1 session", "12 sessions" (the number as written, no thousands separator added). */
export function plural(locale: string, n: number, forms: PluralForms): string {
  return `${n} ${pluralWord(locale, n, forms)}`;
}

/** English has two forms; most nouns add "s". */
export const english = (n: number, one: string, other = `${one}s`): string => plural("en", n, { one, other });
