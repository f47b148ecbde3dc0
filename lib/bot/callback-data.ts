/**
 * Compact, stateless callback data (Telegram allows 64 bytes). A button that acts on a session carries the
 * session `version` it was drawn for, so a press after someone else changed the session is detected as stale
 * instead of acting on what the admin did not see.
 *
 *   m                 main menu               s              sessions overview
 *   l:<st>            first page of a status  p:<pageId>     a later page (cursor kept in the bot-state table)
 *   o:<phone>         session card            x|r|c|d|D:<phone>:<version>  pause, resume, check, ask delete, delete
 *   n                 add a session           q              cancel what the bot waits for
 *   Q                 QR login: new code      Qs             QR login: "I scanned it"
 *   a                 admins                  aa             add admin    ar|aR:<id>  ask remove, remove
 *   g                 language menu           L:<lang>       set language
 */
import type { Phone } from "../sessions/phone";
import type { SessionStatus } from "../sessions/session";
import type { Language } from "../bot-state/admins";

const STATUS_CODE: Record<Exclude<SessionStatus, "deleted">, string> = {
  active: "a",
  paused: "p",
  error: "e",
};
const CODE_STATUS: Record<string, Exclude<SessionStatus, "deleted">> = {
  a: "active",
  p: "paused",
  e: "error",
};

export type ListableStatus = Exclude<SessionStatus, "deleted">;
export const LISTABLE: readonly ListableStatus[] = ["error", "active", "paused"];

export type SessionAction = "pause" | "resume" | "check" | "ask-delete" | "delete";
const ACTION_CODE: Record<SessionAction, string> = {
  pause: "x",
  resume: "r",
  check: "c",
  "ask-delete": "d",
  delete: "D",
};
const CODE_ACTION: Record<string, SessionAction> = Object.fromEntries(
  Object.entries(ACTION_CODE).map(([k, v]) => [v, k as SessionAction]),
);

export const cb = {
  menu: "m",
  sessions: "s",
  list: (status: ListableStatus) => `l:${STATUS_CODE[status]}`,
  page: (id: string) => `p:${id}`,
  card: (phone: Phone) => `o:${phone}`,
  action: (action: SessionAction, phone: Phone, version: number) =>
    `${ACTION_CODE[action]}:${phone}:${version}`,
  addSession: "n",
  cancel: "q",
  qrStart: "Q",
  qrScanned: "Qs",
  admins: "a",
  addAdmin: "aa",
  askRemoveAdmin: (id: string) => `ar:${id}`,
  removeAdmin: (id: string) => `aR:${id}`,
  languages: "g",
  setLanguage: (lang: Language) => `L:${lang}`,
};

/** Matchers for `bot.callbackQuery(regex)`; capture groups are the parameters. */
export const match = {
  list: /^l:([ape])$/,
  page: /^p:([A-Za-z0-9_-]{8})$/,
  card: /^o:(\+\d{6,15})$/,
  action: /^([xrcdD]):(\+\d{6,15}):(\d{1,9})$/,
  askRemoveAdmin: /^ar:(\d{1,16})$/,
  removeAdmin: /^aR:(\d{1,16})$/,
  setLanguage: /^L:(uz|en|ru)$/,
};

export function statusFromCode(code: string): ListableStatus | undefined {
  return CODE_STATUS[code];
}

export function actionFromCode(code: string): SessionAction | undefined {
  return CODE_ACTION[code];
}
