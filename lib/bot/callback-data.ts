/**
 * Compact, stateless callback data (Telegram allows 64 bytes). A button that acts on a session carries the
 * session `version` it was drawn for, so a press after someone else changed the session is detected as stale
 * instead of acting on what the admin did not see.
 *
 *   m                 main menu               s              sessions overview
 *   l:<st>            first page of a status
 *   P:<st>:<n|b>:<page>:<at>:<phone>   a later page, its cursor in the data itself: the page after (n) or before (b)
 *                     the session `<phone>` changed at `<at>` (epoch ms, base 36) in the list; no table read or write
 *   p:<pageId>        a later page drawn before the cursor moved into the data (kept in the bot-state table, 24 h)
 *   o:<phone>         session card            x|r|c|d|D:<phone>:<version>  pause, resume, check, ask delete, delete
 *   n                 add a session           q              cancel what the bot waits for
 *   t:<phone>         take over another admin's login (asks)          T:<phone>   take it over (confirmed)
 *   k:<0-9|e|s>:<phone>  the code keypad of the login of <phone>: a digit, erase, submit (the phone lets a press read
 *                     the admin's step and that login in one call); k:<0-9|e|s> drawn before the phone was in it
 *   Q                 QR login: new code      Qs             QR login: "I scanned it"
 *   a                 admins                  aa             add admin    ar|aR:<id>  ask remove, remove
 *   g                 language menu           L:<lang>       set language
 *   v:<phone>         the account's devices (its authorizations at Telegram)
 *   sb:<phone>        🔎 Restrictions: ask @SpamBot through the session (owners only)
 *   f                 📈 Fleet: the chart of the last 30 days
 *   ev|EV:<phone>:<hash>  ask to end one device, end it          eo|EO:<phone>  ask to end all others, end them
 *
 * A button with a parameter has one codec (`buttons`): `pack` draws its data, `parse` reads it back into the typed
 * value or says it is not a button we drew (`undefined`), and `onButton` routes a press to a handler that gets the
 * value, never the raw string.
 */
import type { Composer } from "grammy";
import { isUserId, LANGUAGES, type Language } from "../bot-state/admins";
import { isPhoneKey, type Phone } from "../sessions/phone-form";
import type { SessionStatus } from "../sessions/session";
import type { BotContext } from "./context";

/** Telegram's limit on a button's callback data. */
export const CALLBACK_DATA_MAX_BYTES = 64;

export type ListableStatus = Exclude<SessionStatus, "deleted">;
export const LISTABLE: readonly ListableStatus[] = ["error", "active", "paused"];

export type SessionAction = "pause" | "resume" | "check" | "ask-delete" | "delete";

/** A press on a session card's action: which action, on which session, drawn for which version. */
export interface SessionButton {
  readonly action: SessionAction;
  readonly phone: Phone;
  readonly version: number;
}

/** A press that names one authorization (device) of a session's account by Telegram's hash. */
export interface DeviceButton {
  readonly phone: Phone;
  /** A signed 64-bit number as decimal text. */
  readonly hash: string;
}

/**
 * A later page of a status's list, stateless: where it starts is the session next to it in the list, by the index's
 * own key (`updatedAt`, then `phone`). `after`: the page that follows that session (Next); `before`: the page that
 * precedes it (Previous). `page` is the number the page is shown with.
 */
export interface PageButton {
  readonly status: ListableStatus;
  readonly direction: "after" | "before";
  readonly page: number;
  readonly phone: Phone;
  /** The session's `updatedAt` as an ISO date. */
  readonly updatedAt: string;
}

/** A key of the code keypad. */
export type KeypadKey = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "erase" | "submit";

/** A press on the code keypad drawn for the login of `phone`. */
export interface KeypadPress {
  readonly key: KeypadKey;
  readonly phone: Phone;
}

/** One button's callback data, both ways. */
export interface ButtonCodec<T> {
  /** Matches every data string this button may carry (for routing; `parse` has the last word). */
  readonly pattern: RegExp;
  pack(value: T): string;
  parse(data: string): T | undefined;
}

function codec<T>(
  pattern: RegExp,
  write: (value: T) => string,
  read: (groups: readonly string[]) => T | undefined,
): ButtonCodec<T> {
  return {
    pattern,
    pack(value) {
      const data = write(value);
      // A button we draw must read back as itself: anything else is a bug here, not the admin's press.
      if (!pattern.test(data) || Buffer.byteLength(data) > CALLBACK_DATA_MAX_BYTES) {
        throw new Error(`Callback data ${JSON.stringify(data)} does not fit its own button`);
      }
      return data;
    },
    parse(data) {
      const m = pattern.exec(data);
      return m ? read(m.slice(1)) : undefined;
    },
  };
}

/** A value's code both ways: `code[value]` and `valueOf[code]`. */
function twoWay<V extends string>(code: Record<V, string>) {
  const valueOf = new Map<string, V>(Object.entries<string>(code).map(([v, c]) => [c, v as V]));
  return { code, valueOf: (c: string | undefined) => (c === undefined ? undefined : valueOf.get(c)) };
}

const DIRECTION = twoWay<PageButton["direction"]>({ after: "n", before: "b" });
const STATUS = twoWay<ListableStatus>({ active: "a", paused: "p", error: "e" });
const ACTION = twoWay<SessionAction>({ pause: "x", resume: "r", check: "c", "ask-delete": "d", delete: "D" });
const KEY = twoWay<KeypadKey>({
  ...({ 0: "0", 1: "1", 2: "2", 3: "3", 4: "4", 5: "5", 6: "6", 7: "7", 8: "8", 9: "9" } as const),
  erase: "e",
  submit: "s",
});

const phoneOf = (raw: string | undefined): Phone | undefined =>
  raw !== undefined && isPhoneKey(raw) ? raw : undefined;
/** A Telegram user id as the admin list keeps it (a decimal string, see isUserId), never through a number. */
const userIdOf = (raw: string | undefined): string | undefined =>
  raw !== undefined && isUserId(raw) ? raw : undefined;

const deviceOf = (p: string | undefined, h: string | undefined): DeviceButton | undefined => {
  const phone = phoneOf(p);
  return phone && h !== undefined ? { phone, hash: h } : undefined;
};

export const buttons = {
  list: codec<ListableStatus>(
    /^l:([ape])$/,
    (status) => `l:${STATUS.code[status]}`,
    ([c]) => STATUS.valueOf(c),
  ),
  page: codec<string>(
    /^p:([A-Za-z0-9_-]{8})$/,
    (id) => `p:${id}`,
    ([id]) => id,
  ),
  pageAt: codec<PageButton>(
    /^P:([ape]):([nb]):([1-9]\d{0,5}):([0-9a-z]{1,10}):(\+\d{6,15})$/,
    (b) => {
      const ms = Date.parse(b.updatedAt);
      if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`Not a date: ${JSON.stringify(b.updatedAt)}`);
      return `P:${STATUS.code[b.status]}:${DIRECTION.code[b.direction]}:${b.page}:${ms.toString(36)}:${b.phone}`;
    },
    ([st, dir, page, at, p]) => {
      const status = STATUS.valueOf(st);
      const direction = DIRECTION.valueOf(dir);
      const phone = phoneOf(p);
      const ms = parseInt(at!, 36);
      if (!status || !direction || !phone || !Number.isSafeInteger(ms)) return undefined;
      const date = new Date(ms);
      if (Number.isNaN(date.getTime())) return undefined;
      return { status, direction, page: Number(page), phone, updatedAt: date.toISOString() };
    },
  ),
  card: codec<Phone>(
    /^o:(\+\d{6,15})$/,
    (phone) => `o:${phone}`,
    ([p]) => phoneOf(p),
  ),
  action: codec<SessionButton>(
    /^([xrcdD]):(\+\d{6,15}):(\d{1,9})$/,
    (b) => `${ACTION.code[b.action]}:${b.phone}:${b.version}`,
    ([a, p, v]) => {
      const action = ACTION.valueOf(a);
      const phone = phoneOf(p);
      return action && phone ? { action, phone, version: Number(v) } : undefined;
    },
  ),
  devices: codec<Phone>(
    /^v:(\+\d{6,15})$/,
    (phone) => `v:${phone}`,
    ([p]) => phoneOf(p),
  ),
  restrictions: codec<Phone>(
    /^sb:(\+\d{6,15})$/,
    (phone) => `sb:${phone}`,
    ([p]) => phoneOf(p),
  ),
  askEndDevice: codec<DeviceButton>(
    /^ev:(\+\d{6,15}):(-?\d{1,20})$/,
    (b) => `ev:${b.phone}:${b.hash}`,
    ([p, h]) => deviceOf(p, h),
  ),
  endDevice: codec<DeviceButton>(
    /^EV:(\+\d{6,15}):(-?\d{1,20})$/,
    (b) => `EV:${b.phone}:${b.hash}`,
    ([p, h]) => deviceOf(p, h),
  ),
  askEndOthers: codec<Phone>(
    /^eo:(\+\d{6,15})$/,
    (phone) => `eo:${phone}`,
    ([p]) => phoneOf(p),
  ),
  endOthers: codec<Phone>(
    /^EO:(\+\d{6,15})$/,
    (phone) => `EO:${phone}`,
    ([p]) => phoneOf(p),
  ),
  keypad: codec<KeypadKey>(
    /^k:([0-9es])$/,
    (key) => `k:${KEY.code[key]}`,
    ([k]) => KEY.valueOf(k),
  ),
  keypadOf: codec<KeypadPress>(
    /^k:([0-9es]):(\+\d{6,15})$/,
    (p) => `k:${KEY.code[p.key]}:${p.phone}`,
    ([k, p]) => {
      const key = KEY.valueOf(k);
      const phone = phoneOf(p);
      return key && phone ? { key, phone } : undefined;
    },
  ),
  takeOver: codec<Phone>(
    /^t:(\+\d{6,15})$/,
    (phone) => `t:${phone}`,
    ([p]) => phoneOf(p),
  ),
  confirmTakeOver: codec<Phone>(
    /^T:(\+\d{6,15})$/,
    (phone) => `T:${phone}`,
    ([p]) => phoneOf(p),
  ),
  askRemoveAdmin: codec<string>(
    /^ar:(\d{1,20})$/,
    (id) => `ar:${id}`,
    ([id]) => userIdOf(id),
  ),
  removeAdmin: codec<string>(
    /^aR:(\d{1,20})$/,
    (id) => `aR:${id}`,
    ([id]) => userIdOf(id),
  ),
  setLanguage: codec<Language>(
    /^L:(uz|en|ru)$/,
    (lang) => `L:${lang}`,
    ([l]) => LANGUAGES.find((lang) => lang === l),
  ),
};

/** The buttons without a parameter, and the data of those with one (`buttons.<name>.pack`). */
export const cb = {
  menu: "m",
  sessions: "s",
  list: (status: ListableStatus) => buttons.list.pack(status),
  page: (id: string) => buttons.page.pack(id),
  pageAt: (b: PageButton) => buttons.pageAt.pack(b),
  card: (phone: Phone) => buttons.card.pack(phone),
  action: (action: SessionAction, phone: Phone, version: number) =>
    buttons.action.pack({ action, phone, version }),
  key: (key: KeypadKey, phone?: Phone) =>
    phone ? buttons.keypadOf.pack({ key, phone }) : buttons.keypad.pack(key),
  devices: (phone: Phone) => buttons.devices.pack(phone),
  restrictions: (phone: Phone) => buttons.restrictions.pack(phone),
  askEndDevice: (phone: Phone, hash: string) => buttons.askEndDevice.pack({ phone, hash }),
  endDevice: (phone: Phone, hash: string) => buttons.endDevice.pack({ phone, hash }),
  askEndOthers: (phone: Phone) => buttons.askEndOthers.pack(phone),
  endOthers: (phone: Phone) => buttons.endOthers.pack(phone),
  addSession: "n",
  cancel: "q",
  takeOver: (phone: Phone) => buttons.takeOver.pack(phone),
  confirmTakeOver: (phone: Phone) => buttons.confirmTakeOver.pack(phone),
  qrStart: "Q",
  qrScanned: "Qs",
  admins: "a",
  addAdmin: "aa",
  askRemoveAdmin: (id: string) => buttons.askRemoveAdmin.pack(id),
  removeAdmin: (id: string) => buttons.removeAdmin.pack(id),
  languages: "g",
  fleet: "f",
  setLanguage: (lang: Language) => buttons.setLanguage.pack(lang),
} as const;

/**
 * Routes presses of `button` to `handler` with the parsed value. Data that matches the button's pattern but does
 * not parse (a phone no numbering plan knows, say) is not ours: it goes on to the "out of date" answer.
 */
export function onButton<T>(
  composer: Composer<BotContext>,
  button: ButtonCodec<T>,
  handler: (ctx: BotContext, value: T) => Promise<unknown>,
): void {
  composer.callbackQuery(button.pattern, async (ctx, next) => {
    const value = button.parse(ctx.callbackQuery.data);
    if (value === undefined) return next();
    await handler(ctx, value);
  });
}
