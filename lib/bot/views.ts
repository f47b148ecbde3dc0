/**
 * What the admin sees: each screen as text plus its inline keyboard, built from data and the admin's texts.
 * Pure functions, so every screen looks the same whether it is opened, refreshed after a stale press, or edited.
 */
import { InlineKeyboard } from "grammy";
import type { Phone } from "../sessions/phone";
import type { Session, SessionStatus, TelegramAccount } from "../sessions/session";
import { deviceText } from "../telegram/authorization-set";
import type { AccountDevices, DeviceAuthorization } from "../telegram/contract";
import type { Admin } from "../bot-state/admins";
import { cb, LISTABLE, type ListableStatus } from "./callback-data";
import { esc } from "./html";
import type { MenuCounts, StatusCounts, Texts } from "./locales";

export interface View {
  readonly text: string;
  readonly keyboard?: InlineKeyboard;
}

export const STATUS_ICON: Record<SessionStatus, string> = {
  active: "🟢",
  paused: "⏸",
  error: "🔴",
  deleted: "🗑️",
};

/** An `active` session whose account Telegram froze: shown instead of 🟢 in lists. */
export const FROZEN_ICON = "🧊";

export { esc };

/** "2026-11-27 17:55 UTC": the same in every language, and unambiguous for operators in several time zones. */
export function formatTime(iso: string | undefined, t: Texts): string {
  if (!iso) return t.card.never;
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

export function formatAccount(account: TelegramAccount | undefined, t: Texts): string {
  if (!account) return t.card.noAccount;
  const name = [account.firstName, account.lastName].filter(Boolean).join(" ");
  const parts = [name, account.username ? `@${account.username}` : "", `id ${account.userId}`].filter(
    Boolean,
  );
  return esc(parts.join(" · "));
}

export function mainMenu(t: Texts, counts: MenuCounts, notice?: string): View {
  return {
    text: [notice, t.menu.title, t.menu.summary(counts)].filter(Boolean).join("\n"),
    keyboard: new InlineKeyboard()
      .text(t.menu.sessions, cb.sessions)
      .row()
      .text(t.menu.addSession, cb.addSession)
      .row()
      .text(t.menu.fleet, cb.fleet)
      .row()
      .text(t.menu.admins, cb.admins)
      .text(t.menu.language, cb.languages),
  };
}

export function sessionsOverview(t: Texts, counts: StatusCounts, notice?: string): View {
  const keyboard = new InlineKeyboard();
  for (const status of LISTABLE) {
    keyboard
      .text(
        `${STATUS_ICON[status]} ${t.sessions.filter(t.statusName[status], counts[status])}`,
        cb.list(status),
      )
      .row();
  }
  keyboard.text(t.menu.addSession, cb.addSession).row().text(t.menu.back, cb.menu);
  return { text: [notice, t.sessions.overview(counts)].filter(Boolean).join("\n\n"), keyboard };
}

export interface PageView {
  readonly status: ListableStatus;
  readonly page: number;
  readonly sessions: readonly Session[];
  /** Callback data of the previous page, if any. */
  readonly prev?: string;
  /** Callback data of the next page, if any. */
  readonly next?: string;
}

export function sessionsPage(t: Texts, p: PageView, notice?: string): View {
  const name = t.statusName[p.status];
  const keyboard = new InlineKeyboard();
  for (const s of p.sessions) {
    const who = s.account?.username
      ? ` · @${s.account.username}`
      : s.account?.firstName
        ? ` · ${s.account.firstName}`
        : "";
    keyboard
      .text(`${s.frozen ? FROZEN_ICON : STATUS_ICON[s.status]} ${s.phone}${who}`, cb.card(s.phone))
      .row();
  }
  if (p.prev) keyboard.text(t.sessions.prev, p.prev);
  if (p.next) keyboard.text(t.sessions.next, p.next);
  if (p.prev || p.next) keyboard.row();
  keyboard.text(t.menu.back, cb.sessions).text(t.menu.mainMenu, cb.menu);
  const body =
    p.sessions.length > 0
      ? t.sessions.page(name, p.page)
      : p.page > 1
        ? t.sessions.end
        : t.sessions.empty(name);
  return { text: [notice, body].filter(Boolean).join("\n\n"), keyboard };
}

/**
 * A session's card. `viewer.owner`: the admin looking is an owner, who also gets the owner-only buttons
 * (🔎 Restrictions; the handlers refuse anyone else whatever the buttons).
 */
export function sessionCard(
  t: Texts,
  s: Session,
  notice?: string,
  viewer: { readonly owner?: boolean } = {},
): View {
  const c = t.card;
  const lines = [
    c.title,
    `${c.phone}: <code>${s.phone}</code>`,
    `${c.account}: ${formatAccount(s.account, t)}`,
    `${c.status}: ${STATUS_ICON[s.status]} ${t.statusName[s.status]}`,
    `${c.paused}: ${s.isPaused ? c.yes : c.no}`,
    ...(s.lastError ? [`${c.lastError}: ${esc(s.lastError)}`] : []),
    ...(s.frozen ? [c.frozen(s.frozen.until && formatTime(s.frozen.until, t), s.frozen.appealUrl)] : []),
    `${c.lastCheck}: ${formatTime(s.lastCheckedAt, t)}`,
    ...(s.authorizationTtlDays && s.status !== "deleted" ? [idleExpiry(t, s, s.authorizationTtlDays)] : []),
    ...(s.identity && s.status !== "deleted"
      ? [
          c.identity(
            esc(
              [
                s.identity.deviceModel,
                s.identity.systemVersion,
                s.identity.appVersion,
                s.identity.langCode,
              ].join(" · "),
            ),
            s.apiId,
          ),
        ]
      : []),
    ...(s.status !== "deleted" ? [t.devices.twoFa(s.twoFa?.hasPassword)] : []),
    ...(s.proxy && s.status !== "deleted"
      ? [c.proxy(esc(`${s.proxy.kind === "socks5" ? "SOCKS5" : "MTProxy"} ${s.proxy.host}:${s.proxy.port}`))]
      : []),
    ...(s.restriction && s.status !== "deleted"
      ? [
          c.restriction(
            s.restriction.state,
            formatTime(s.restriction.checkedAt, t),
            s.restriction.state === "limited" ? formatTime(s.restriction.until, t) : undefined,
            s.restriction.state === "unknown" ? esc(s.restriction.text.slice(0, 300)) : undefined,
          ),
        ]
      : []),
    `${c.created}: ${formatTime(s.createdAt, t)}`,
    `${c.updated}: ${formatTime(s.updatedAt, t)}`,
    ...(s.status === "error" ? ["", c.errorHint] : []),
  ];
  const keyboard = new InlineKeyboard();
  if (s.status === "active") {
    keyboard
      .text(c.check, cb.action("check", s.phone, s.version))
      .text(c.pause, cb.action("pause", s.phone, s.version));
  } else if (s.status === "paused") {
    keyboard.text(c.resume, cb.action("resume", s.phone, s.version));
  }
  if (s.status !== "deleted") keyboard.text(c.delete, cb.action("ask-delete", s.phone, s.version));
  keyboard.row();
  // The account's devices are read through the session: only an active one can be asked.
  if (s.status === "active") {
    keyboard.text(t.devices.button, cb.devices(s.phone));
    // Asking @SpamBot sends a message from the account: an owner's decision.
    if (viewer.owner) keyboard.text(t.restrictions.button, cb.restrictions(s.phone));
    keyboard.row();
  }
  if (s.status !== "deleted") keyboard.text(c.toList, cb.list(s.status));
  keyboard.text(t.menu.mainMenu, cb.menu);
  return { text: [notice, lines.join("\n")].filter(Boolean).join("\n\n"), keyboard };
}

/**
 * When Telegram would end the session for lack of use: `authorization_ttl_days` after its last use. Our last use is
 * the last check (its getMe counts), so the daily check keeps pushing the date back.
 */
function idleExpiry(t: Texts, s: Session, days: number): string {
  const lastUsed = s.lastCheckedAt;
  const endsOn = lastUsed ? new Date(Date.parse(lastUsed) + days * 86_400_000).toISOString() : undefined;
  return t.card.expiry(days, formatTime(lastUsed, t), endsOn && formatTime(endsOn, t));
}

/** At most this many devices are listed in the bot (a message holds 4096 characters); the CLI lists all. */
export const DEVICES_LIST_LIMIT = 15;

/** One device's name as its button and the confirmation show it. */
export function deviceName(a: Pick<DeviceAuthorization, "deviceModel" | "appName">): string {
  return [a.deviceModel, a.appName].filter(Boolean).join(", ") || "?";
}

/** 📱 Devices: every authorization of the account, ours first; for an owner, a button to end each other one. */
export function devicesView(
  t: Texts,
  phone: Phone,
  devices: AccountDevices,
  owner: boolean,
  notice?: string,
): View {
  const d = t.devices;
  const shown = devices.authorizations.slice(0, DEVICES_LIST_LIMIT);
  const lines = [
    d.title(phone, devices.authorizations.length),
    ...shown.map((a) =>
      d.line({
        device: esc(deviceText(a)),
        app: esc([a.appName, a.appVersion].filter(Boolean).join(" ")),
        place: esc([a.country, a.region].filter(Boolean).join(", ")),
        created: formatTime(a.createdAt, t),
        lastActive: formatTime(a.lastActiveAt, t),
        officialApp: a.officialApp,
        ours: a.current,
        passwordPending: a.passwordPending,
      }),
    ),
    ...(devices.authorizations.length > shown.length
      ? [d.more(devices.authorizations.length - shown.length)]
      : []),
    ...(devices.ttlDays ? [d.ttl(devices.ttlDays)] : []),
    ...(devices.endOthersPossibleFrom ? [d.youngKey(formatTime(devices.endOthersPossibleFrom, t))] : []),
  ];
  const keyboard = new InlineKeyboard();
  const others = shown.filter((a) => !a.current);
  if (owner && others.length > 0) {
    for (const a of others) keyboard.text(d.endButton(deviceName(a)), cb.askEndDevice(phone, a.hash)).row();
    keyboard.text(d.endOthersButton, cb.askEndOthers(phone)).row();
  }
  keyboard.text(d.toCard, cb.card(phone)).text(t.menu.mainMenu, cb.menu);
  const hint = owner && others.length > 0 ? ["", d.ownersHint] : [];
  return { text: [notice, [...lines, ...hint].join("\n")].filter(Boolean).join("\n\n"), keyboard };
}

/** "End the login on <device>?" (one) or "End every other login?" (`hash` undefined). */
export function endDeviceConfirm(t: Texts, phone: Phone, hash: string | undefined, device?: string): View {
  const d = t.devices;
  return {
    text: hash === undefined ? d.confirmOthers(phone) : d.confirmOne(phone, esc(device ?? hash)),
    keyboard: new InlineKeyboard()
      .text(d.yes, hash === undefined ? cb.endOthers(phone) : cb.endDevice(phone, hash))
      .text(d.no, cb.devices(phone)),
  };
}

export function deleteConfirm(t: Texts, s: Session): View {
  return {
    text: t.actions.deleteConfirm(s.phone),
    keyboard: new InlineKeyboard()
      .text(t.actions.deleteYes, cb.action("delete", s.phone, s.version))
      .text(t.actions.deleteNo, cb.card(s.phone)),
  };
}

export function adminsList(t: Texts, admins: readonly Admin[], me: Admin, notice?: string): View {
  const lines = admins.map((a) => {
    const role = a.role === "owner" ? t.admins.owner : t.admins.admin;
    const name = a.name ? ` ${esc(a.name)}` : "";
    return `• <code>${a.userId}</code>${name}: ${role}${a.userId === me.userId ? ` (${t.admins.you})` : ""}`;
  });
  const keyboard = new InlineKeyboard();
  if (me.role === "owner") {
    keyboard.text(t.admins.add, cb.addAdmin).row();
    for (const a of admins) {
      if (a.userId !== me.userId)
        keyboard.text(t.admins.removeButton(a.userId), cb.askRemoveAdmin(a.userId)).row();
    }
  }
  keyboard.text(t.menu.back, cb.menu);
  return { text: [notice, t.admins.title, ...lines].filter(Boolean).join("\n"), keyboard };
}

export function cancelKeyboard(t: Texts): InlineKeyboard {
  return new InlineKeyboard().text(t.add.cancelButton, cb.cancel);
}

/** `rest` under the Mini App form's button (on a row of its own, first), when the deployment has a form URL. */
export function withFormButton(
  t: Texts,
  miniAppUrl: string | undefined,
  rest: InlineKeyboard = new InlineKeyboard(),
): InlineKeyboard {
  return miniAppUrl ? new InlineKeyboard().webApp(t.miniapp.formButton, miniAppUrl).row().append(rest) : rest;
}
