/**
 * English texts, and the `Texts` type every locale implements: a missing key in `uz.ts` or `ru.ts` is a compile
 * error. Texts are HTML (parse_mode "HTML"); every value put in them passes through `esc()` first.
 */
import type { SessionStatus } from "../../sessions/session";
import { english } from "../../plural";
import { esc } from "../html";

export type StatusCounts = Record<SessionStatus, number>;
/** The main menu's fleet line: the statuses, and the deleted sessions whose logout at Telegram is pending. */
export type MenuCounts = StatusCounts & {
  readonly pendingRevocations?: number;
  /** Active sessions Telegram limits, as @SpamBot last said. */
  readonly restricted?: number;
};

export type BotCommandName = "start" | "sessions" | "add" | "admins" | "language" | "cancel";

export interface FailedSession {
  readonly phone: string;
  readonly error: string;
}

export interface RunCountsText {
  readonly checked: number;
  readonly healthy: number;
  readonly failed: number;
  readonly floodWaited: number;
  readonly transient: number;
  readonly frozen: number;
}

/** An account Telegram froze, as the admins are told about it. `until` is already formatted. */
export interface FrozenSessionText {
  readonly phone: string;
  readonly until?: string;
  readonly appealUrl?: string;
}

/** At most 20 lines, escaped: each frozen account with Telegram's date and where to appeal. */
export function listFrozen(
  frozen: readonly FrozenSessionText[],
  line: (f: FrozenSessionText) => string,
  more: (n: number) => string,
): string {
  const lines = frozen.slice(0, 20).map(line);
  if (frozen.length > 20) lines.push(more(frozen.length - 20));
  return lines.join("\n");
}

/** At most 20 lines, escaped; the rest summed up as "…and N more". */
export function listFailed(failed: readonly FailedSession[], more: (n: number) => string): string {
  const lines = failed.slice(0, 20).map((f) => `• <code>${esc(f.phone)}</code>: ${esc(f.error)}`);
  if (failed.length > 20) lines.push(more(failed.length - 20));
  return lines.join("\n");
}

/** One authorization of an account as the device list shows it; every field already escaped and formatted. */
export interface DeviceText {
  readonly device: string;
  readonly app: string;
  readonly place: string;
  readonly created: string;
  readonly lastActive: string;
  readonly officialApp: boolean;
  /** Our own stored key. */
  readonly ours: boolean;
  /** Logged in with the code, the 2FA password not yet given. */
  readonly passwordPending: boolean;
}

/** A login the daily check had not seen, as the admins are told; fields already escaped and formatted. */
export interface NewLoginText {
  readonly phone: string;
  readonly device: string;
  readonly app: string;
  readonly place: string;
  readonly officialApp: boolean;
  /** Our key is younger than 24 h: ending is possible from then (formatted). */
  readonly endPossibleFrom?: string;
}

export interface Texts {
  readonly statusName: Record<SessionStatus, string>;
  readonly menu: {
    readonly title: string;
    readonly summary: (c: MenuCounts) => string;
    readonly sessions: string;
    readonly addSession: string;
    readonly admins: string;
    readonly language: string;
    /** 📈 Fleet: the chart of the last 30 days. */
    readonly fleet: string;
    readonly back: string;
    readonly mainMenu: string;
  };
  readonly stranger: (userId: string) => string;
  readonly sessions: {
    readonly overview: (c: StatusCounts) => string;
    readonly filter: (status: string, n: number) => string;
    readonly page: (status: string, page: number) => string;
    readonly empty: (status: string) => string;
    /** A "Next" page that turned out empty: the previous page ended exactly at the end of the list. */
    readonly end: string;
    readonly next: string;
    readonly prev: string;
    readonly pageGone: string;
  };
  readonly card: {
    readonly title: string;
    readonly phone: string;
    readonly account: string;
    readonly noAccount: string;
    readonly status: string;
    readonly paused: string;
    readonly yes: string;
    readonly no: string;
    readonly lastError: string;
    readonly lastCheck: string;
    readonly never: string;
    readonly created: string;
    readonly updated: string;
    readonly pause: string;
    readonly resume: string;
    readonly delete: string;
    readonly check: string;
    readonly toList: string;
    readonly errorHint: string;
    /** The account is frozen: until Telegram's date (formatted), and where to appeal. */
    readonly frozen: (until?: string, appealUrl?: string) => string;
    /** Telegram ends an unused session after `days`; `expiresOn` counts from `lastUsed` (formatted). */
    readonly expiry: (days: number, lastUsed: string, expiresOn?: string) => string;
    /** The device the session presents to Telegram (escaped, joined), and the API id it logs in under. */
    readonly identity: (device: string, apiId?: number) => string;
    /** The proxy every connection goes through: "SOCKS5 host:port" (escaped). */
    readonly proxy: (address: string) => string;
    /**
     * What @SpamBot last said (`sessions spambot`): its state, the end of a limitation and when it was asked
     * (formatted), and an unknown reply's text (escaped, shortened).
     */
    readonly restriction: (
      state: "free" | "limited" | "limited-forever" | "unknown",
      asked: string,
      until?: string,
      text?: string,
    ) => string;
  };
  readonly actions: {
    readonly deleteConfirm: (phone: string) => string;
    readonly deleteYes: string;
    readonly deleteNo: string;
    /** Shown while the key is being logged out at Telegram (a few seconds, up to the check's deadline). */
    readonly deleting: (phone: string) => string;
    /** Telegram answered the logout: the key is dead there and its ciphertext destroyed here. */
    readonly deletedLoggedOut: (phone: string) => string;
    /** Telegram already refused the key (`code`): nothing left to end there; destroyed here. */
    readonly deletedAlreadyDead: (phone: string, code: string) => string;
    /** Telegram could not be reached (`reason`): deleted here, the logout retried until `until` (formatted). */
    readonly deletedPending: (phone: string, until: string, reason: string) => string;
    /** Another job holds the session's lease until `until` (formatted): nothing changed. */
    readonly busy: (until: string) => string;
    readonly paused: string;
    readonly resumed: string;
    readonly notAllowed: string;
  };
  /** 📱 Devices (the account's authorizations at Telegram) and the 2FA posture. */
  /** 🔎 Restrictions: an owner asks @SpamBot through the session whether Telegram limits the account. */
  readonly restrictions: {
    readonly button: string;
    /** The toast while @SpamBot is asked (it sends a message from the account). */
    readonly asking: (phone: string) => string;
    readonly ownersOnly: string;
    /** The notice above the card: the reading (the card's @SpamBot line says it in full). */
    readonly result: (state: "free" | "limited" | "limited-forever" | "unknown") => string;
    readonly failed: (message: string) => string;
  };
  readonly devices: {
    readonly button: string;
    /** The card's 2FA line: has a password, none, or not read yet (`undefined`). */
    readonly twoFa: (hasPassword: boolean | undefined) => string;
    readonly loading: (phone: string) => string;
    readonly title: (phone: string, n: number) => string;
    readonly line: (d: DeviceText) => string;
    readonly more: (n: number) => string;
    /** Telegram ends an authorization unused for this many days. */
    readonly ttl: (days: number) => string;
    /** Our key is younger than 24 h: ending other devices is possible from `from` (formatted). */
    readonly youngKey: (from: string) => string;
    /** Under the list, for an owner. */
    readonly ownersHint: string;
    readonly endButton: (device: string) => string;
    readonly endOthersButton: string;
    readonly confirmOne: (phone: string, device: string) => string;
    readonly confirmOthers: (phone: string) => string;
    readonly yes: string;
    readonly no: string;
    readonly ending: string;
    readonly ended: string;
    readonly endedOthers: string;
    readonly notFound: string;
    readonly tooFresh: (from: string) => string;
    readonly ownersOnly: string;
    /** Telegram could not be asked, or refused (message escaped). */
    readonly failed: (message: string) => string;
    readonly toCard: string;
  };
  readonly stale: {
    readonly changed: string;
    readonly gone: string;
    readonly unknownButton: string;
  };
  readonly check: {
    readonly running: (phone: string) => string;
    readonly healthy: (account: string) => string;
    readonly failed: (message: string) => string;
    readonly flood: (until: string) => string;
    readonly transient: (message: string, failures: number) => string;
    readonly frozen: (until?: string, appealUrl?: string) => string;
    /** The deployment lacks a setting (API_ID/API_HASH): the detail names it and says where to get it. */
    readonly notConfigured: (detail: string) => string;
    readonly skipped: Record<"not-active" | "leased" | "flood-wait" | "not-found", string>;
  };
  readonly add: {
    readonly askPhone: string;
    readonly badPhone: string;
    readonly starting: (phone: string) => string;
    readonly codeSent: (phone: string, where: string, length?: number) => string;
    /** Under a code prompt, above the keypad: the dots of the digits entered. */
    readonly keypadLine: (dots: string) => string;
    /** The keypad's message after a press: only dots, never a digit. */
    readonly keypad: (phone: string, dots: string) => string;
    /** ✅ pressed before every digit was entered. */
    readonly keypadIncomplete: (digits: number) => string;
    /** A press that lost a race with other presses three times. */
    readonly keypadRetry: string;
    /** ✅ pressed with every digit: the keypad is gone while Telegram is asked. */
    readonly keypadSent: (phone: string, dots: string) => string;
    /** A press on an old keypad while the bot waits for the 2FA password. */
    readonly keypadStale: string;
    readonly delivery: Record<"app" | "sms" | "call" | "flash-call" | "email" | "other", string>;
    readonly askPassword: (hint?: string) => string;
    readonly wrongCode: (attemptsLeft: number) => string;
    readonly wrongPassword: (attemptsLeft: number, hint?: string) => string;
    readonly codeExpired: string;
    readonly noFlow: string;
    readonly tooManyAttempts: string;
    readonly invalidPhone: string;
    readonly phoneBanned: string;
    readonly noAccount: string;
    readonly floodWait: (minutes: number) => string;
    readonly apiCredentialsInvalid: string;
    /** A step that may be sent again; the message (from the userbot layer) says what happened and what to do. */
    readonly unavailable: (message: string) => string;
    readonly loggedIn: (replaced: boolean) => string;
    /** The replaced session's old key, once the new one was stored: logged out at Telegram. */
    readonly previousKeyLoggedOut: string;
    /** … Telegram already refused it (`code`). */
    readonly previousKeyAlreadyDead: (code: string) => string;
    /** … not confirmed (`reason`): retried by the cleanup until `until` (formatted). */
    readonly previousKeyPending: (until: string, reason: string) => string;
    readonly cancelled: string;
    /** A code or password sent after /cancel: deleted, and this said. */
    readonly cancelledLate: string;
    readonly nothingToCancel: string;
    readonly expired: string;
    readonly replacesExisting: string;
    readonly cancelButton: string;
    /** Who started a login, for the texts below: an admin (name and id) or the CLI (its user). */
    readonly adminLabel: (id: string, name?: string) => string;
    readonly cliLabel: (user: string) => string;
    /** A start refused: another admin's login of the phone runs until `until`; `canTakeOver` for an owner. */
    readonly heldByOther: (phone: string, who: string, until: string, canTakeOver: boolean) => string;
    readonly takeOverButton: string;
    readonly takeOverConfirm: (phone: string, who: string, until: string) => string;
    readonly takeOverYes: string;
    readonly takeOverOwnersOnly: string;
    /** The login to take over ended meanwhile: the phone is free. */
    readonly takeOverGone: (phone: string) => string;
    /** A code or password sent for a login that another admin took over: not used. */
    readonly notYours: (phone: string, who: string, until: string) => string;
    /** Told to the admin whose login an owner took over. */
    readonly takenOver: (phone: string, who: string) => string;
  };
  readonly admins: {
    readonly title: string;
    readonly owner: string;
    readonly admin: string;
    readonly you: string;
    readonly add: string;
    readonly askId: string;
    readonly badId: string;
    readonly added: (id: string) => string;
    readonly already: (id: string) => string;
    readonly removeButton: (id: string) => string;
    readonly removeConfirm: (id: string) => string;
    readonly removeYes: string;
    readonly removed: (id: string) => string;
    readonly lastOwner: string;
    readonly ownersOnly: string;
    readonly notAdmin: (id: string) => string;
  };
  /** The Mini App login form (its page) and its button. Plain text: the page shows it as text, not HTML. */
  readonly miniapp: {
    /** The web_app button under a code or password prompt. */
    readonly formButton: string;
    readonly title: string;
    readonly forPhone: (phone: string) => string;
    readonly forQr: string;
    readonly codeLabel: (length?: number) => string;
    readonly passwordLabel: (hint?: string) => string;
    readonly submit: string;
    readonly checking: string;
    readonly network: string;
    /** The server failed (or throttled the call): the same step, again in a minute. */
    readonly retry: string;
    readonly close: string;
    readonly wrongCode: (attemptsLeft: number) => string;
    readonly wrongPassword: (attemptsLeft: number, hint?: string) => string;
    readonly passwordNeeded: string;
    readonly loggedIn: (replaced: boolean) => string;
    /** initData missing, forged, or not ours: the page was not opened from the bot. */
    readonly openFromBot: string;
    /** initData too old (or from the future): open the form again. */
    readonly reopen: string;
    readonly notAdmin: string;
    readonly noLogin: string;
  };
  /** ➕ Add Session by QR code (Telegram → Settings → Devices → Link Desktop Device). */
  readonly qr: {
    readonly button: string;
    readonly starting: string;
    /** The QR photo's caption: the steps and the countdown to the token's expiry. */
    readonly caption: (seconds: number, until: string, renewed: boolean) => string;
    readonly scannedButton: string;
    readonly checking: string;
    readonly notYet: string;
    readonly passwordNeeded: (hint?: string) => string;
    /** The photo's caption once the code was scanned (the login goes on to the password). */
    readonly scannedCaption: string;
    readonly loggedInCaption: string;
    readonly over: string;
    /** "I scanned it" pressed again while the login waits for the password. */
    readonly waitingPassword: string;
    /** The scanned account's number is stored for another Telegram account: nothing replaced. */
    readonly otherAccount: (phone: string) => string;
  };
  readonly language: {
    readonly choose: string;
    readonly set: string;
  };
  /** Messages other parts send through the notifier. */
  readonly notify: {
    readonly sessionsFailed: (failed: readonly FailedSession[]) => string;
    /** The health check run's counts, under the list of failed sessions. */
    readonly runCounts: (c: RunCountsText) => string;
    /** Sessions whose check never completed (their messages went to the dead-letter queue). */
    readonly notChecked: (sessions: readonly FailedSession[]) => string;
    /** Accounts found frozen by Telegram in this run (told once, when first found). */
    readonly sessionsFrozen: (frozen: readonly FrozenSessionText[]) => string;
    /** A run closed by the next day's dispatch without finishing. */
    readonly runUnfinished: (checksNotFinished: number) => string;
    /** Logins the previous check had not seen: possible takeovers, told once. */
    readonly newLogins: (logins: readonly NewLoginText[]) => string;
    /** Under the counts: active sessions whose account has no 2FA password. */
    readonly withoutTwoFa: (n: number) => string;
    /** Under the counts: active sessions Telegram limits (their last @SpamBot check). */
    readonly restricted: (n: number) => string;
    /** Under the counts: keys of deleted or replaced sessions whose logout at Telegram is still being retried. */
    readonly pendingLogouts: (n: number) => string;
    /** A summary button (owners): end this login, or every other login of the account. */
    readonly endLoginButton: (phone: string, device: string) => string;
    readonly endOthersButton: (phone: string) => string;
  };
  /** 📈 Fleet: the chart of the fleet's last 30 days (the bot's photo and the Mini App's fleet page). */
  readonly fleet: {
    /** The toast while the chart is drawn. */
    readonly drawing: string;
    /** No run recorded the fleet in the chart's days: nothing to draw. */
    readonly noRuns: string;
    /** The photo's caption (HTML): the fleet now and the last run, `lastRun` already formatted. */
    readonly caption: (
      now: StatusCounts,
      lastRun?: { at: string; checked: number; failed: number },
    ) => string;
    /** On the picture: plain text, no emoji (the PNG's font has none). */
    readonly chartTitle: string;
    readonly chartSubtitle: string;
    readonly sessionsAxis: string;
    readonly newlyFailed: string;
    /** The Mini App page's heading and its counts table. */
    readonly pageTitle: string;
    readonly now: string;
    readonly lastRun: string;
    /** The Mini App page's line for the last run (plain text), `at` already formatted. */
    readonly lastRunLine: (at: string, checked: number, failed: number) => string;
    /** The web_app button under the photo that opens the Mini App's fleet page. */
    readonly openPage: string;
    readonly loading: string;
  };
  /** Descriptions of the bot's commands in Telegram's command menu (setMyCommands). */
  readonly commands: Record<BotCommandName, string>;
  readonly unknownText: string;
  readonly failed: string;
}

export const en: Texts = {
  statusName: { active: "active", paused: "paused", error: "error", deleted: "deleted" },
  menu: {
    title: "<b>Session Keeper</b>",
    summary: (c) =>
      `Fleet: 🟢 ${c.active} active · ⏸ ${c.paused} paused · 🔴 ${c.error} error` +
      ((c.pendingRevocations ?? 0) > 0
        ? ` · ⏳ ${english(c.pendingRevocations!, "logout")} pending at Telegram`
        : "") +
      ((c.restricted ?? 0) > 0 ? ` · 🚫 ${c.restricted} limited by Telegram` : ""),
    sessions: "📋 Sessions",
    addSession: "➕ Add Session",
    admins: "👥 Admins",
    language: "🌐 Language",
    fleet: "📈 Fleet",
    back: "⬅️ Back",
    mainMenu: "🏠 Main menu",
  },
  stranger: (id) =>
    `This bot is private. Your Telegram user id is <code>${id}</code>: send it to an owner of the bot to be added.`,
  sessions: {
    overview: (c) =>
      `<b>📋 Sessions</b>\n🟢 active: ${c.active}\n⏸ paused: ${c.paused}\n🔴 error: ${c.error}\n\nPick a status to list its sessions.`,
    filter: (s, n) => `${s} (${n})`,
    page: (s, p) =>
      `<b>📋 Sessions: ${s}</b>, page ${p}\nMost recently changed first. Pick a session to open it.`,
    empty: (s) => `No sessions with status “${s}”.`,
    end: "That was the last page.",
    next: "Next ➡️",
    prev: "⬅️ Previous",
    pageGone: "This list is out of date; pick the status again.",
  },
  card: {
    title: "<b>Session</b>",
    phone: "Phone",
    account: "Telegram account",
    noAccount: "unknown",
    status: "Status",
    paused: "Paused",
    yes: "yes",
    no: "no",
    lastError: "Last error",
    lastCheck: "Last check",
    never: "never",
    created: "Created",
    updated: "Updated",
    pause: "⏸ Pause",
    resume: "▶️ Resume",
    delete: "🗑️ Delete",
    check: "🔄 Check now",
    toList: "⬅️ Sessions",
    errorHint: "This session needs a new login: delete it, then ➕ Add Session with the same phone.",
    frozen: (u, url) =>
      `🧊 <b>Frozen by Telegram</b>${u ? ` until ${u}` : ""}: the session works, but the account can only read` +
      `${u ? " and is deleted on that date unless the freeze is lifted" : ""}. ` +
      `Appeal: ${url ? esc(url) : "@SpamBot"}. A new login does not help.`,
    expiry: (d, last, on) =>
      `Expires if unused for ${d} days (Telegram's setting); the daily check keeps it alive. Last used ${last}` +
      `${on ? `; without checks it would end ${on}` : ""}.`,
    identity: (d, id) => `Presents itself as: ${d}${id !== undefined ? ` · API id ${id}` : ""}`,
    proxy: (a) => `Proxy: ${a}`,
    restriction: (state, asked, until, text) =>
      state === "free"
        ? `@SpamBot: ✅ no limits (asked ${asked})`
        : state === "limited"
          ? `@SpamBot: ⛔ limited until ${until} (asked ${asked})`
          : state === "limited-forever"
            ? `@SpamBot: ⛔ limited for good (asked ${asked})`
            : `@SpamBot: ❔ unknown reply (asked ${asked}): <i>${text}</i>`,
  },
  actions: {
    deleteConfirm: (p) =>
      `Delete the session <b>${p}</b>?\nIts key is logged out at Telegram first, then its session string is ` +
      "destroyed here; to use this phone again you log in anew.",
    deleteYes: "🗑️ Yes, delete",
    deleteNo: "Cancel",
    deleting: (p) => `🗑️ Logging ${p} out at Telegram…`,
    deletedLoggedOut: (p) => `🗑️ Session ${p} logged out at Telegram and destroyed.`,
    deletedAlreadyDead: (p, code) =>
      `🗑️ Session ${p} destroyed. Telegram already refused its key (${code}), so nothing was left to log out.`,
    deletedPending: (p, until, reason) =>
      `🗑️ Session ${p} deleted here, but Telegram could not be reached (${reason}): its key may still work ` +
      `there. The logout is retried by the cleanup until ${until}; only for that is its ciphertext kept until then.`,
    busy: (u) =>
      `⏳ Another job is using this session right now (until ${u}). Nothing was changed; try again in a minute.`,
    paused: "⏸ Paused: it is no longer checked or used.",
    resumed: "▶️ Resumed: it is active again.",
    notAllowed: "That is not possible in the session's current state; here is its card.",
  },
  restrictions: {
    button: "🔎 Restrictions",
    asking: (p) => `🔎 Asking @SpamBot from ${p} (it sends /start)…`,
    ownersOnly: "Only an owner can ask @SpamBot: it sends a message from the account.",
    result: (state) =>
      state === "free"
        ? "🔎 @SpamBot says Telegram does not limit this account."
        : state === "unknown"
          ? "🔎 @SpamBot's reply was not understood: it is kept below as it came."
          : "🔎 @SpamBot says Telegram limits this account.",
    failed: (m) => `⚠️ @SpamBot could not be asked: ${m}`,
  },
  devices: {
    button: "📱 Devices",
    twoFa: (has) =>
      has === undefined
        ? "2FA password: not read yet (the next check reads it)"
        : has
          ? "2FA password: ✅ set"
          : "2FA password: ⚠️ none (anyone with a login code can take the account; <code>sessions 2fa set</code>)",
    loading: (p) => `📱 Asking Telegram for the devices of ${p}…`,
    title: (p, n) => `<b>📱 Devices of ${p}</b> (${n} logged in)`,
    line: (d) =>
      `${d.ours ? "⭐ <b>this session</b>" : "•"} ${d.device} · ${d.app}${d.officialApp ? "" : " ⚠️ not an official app"}` +
      `${d.passwordPending ? " · ⏳ waiting for the 2FA password" : ""}\n   ${d.place || "place unknown"} · ` +
      `logged in ${d.created} · last active ${d.lastActive}`,
    more: (n) => `…and ${n} more (see <code>sessions devices</code> in the CLI).`,
    ttl: (d) => `Telegram ends a login unused for ${d} days.`,
    youngKey: (f) => `This session's key is younger than 24 h: Telegram lets it end other devices from ${f}.`,
    ownersHint: "An owner can end a device that should not be there.",
    endButton: (d) => `⛔ End: ${d}`,
    endOthersButton: "⛔ End all other devices",
    confirmOne: (p, d) =>
      `End the login on <b>${d}</b> of ${p}?\nThat device is logged out of the account at once.`,
    confirmOthers: (p) =>
      `End <b>every other login</b> of ${p}?\nEvery device but this session is logged out of the account at once.`,
    yes: "⛔ Yes, end it",
    no: "Cancel",
    ending: "⛔ Asking Telegram…",
    ended: "✅ Ended: that device is logged out.",
    endedOthers: "✅ Ended: every other device is logged out.",
    notFound: "That login is already gone. Nothing was changed.",
    tooFresh: (f) =>
      `⏳ Not yet: this session's key is younger than 24 h, and Telegram lets it end other devices from ${f}. ` +
      "Nothing was changed; press again after that time.",
    ownersOnly: "Only an owner can end a device.",
    failed: (m) => `⚠️ Telegram could not be asked: ${m}`,
    toCard: "⬅️ Session",
  },
  stale: {
    changed: "This session changed meanwhile. Here is its current card; check it and press again.",
    gone: "This session no longer exists (deleted meanwhile).",
    unknownButton: "This button is out of date. Here is the main menu.",
  },
  check: {
    running: (p) => `🔄 Checking ${p}…`,
    healthy: (a) => `✅ The session works: logged in as ${a}.`,
    failed: (m) => `🔴 The session is dead and was marked error: ${m}\nDelete it and add it again.`,
    flood: (u) => `⏳ Telegram asks to wait (flood wait) until ${u}. The session is not marked as failed.`,
    transient: (m, n) =>
      `⚠️ Could not reach the session (${m}). ${english(n, "failure")} in a row; try again later.`,
    frozen: (u, url) =>
      `🧊 The session works, but Telegram froze the account${u ? ` until ${u}` : ""}. ` +
      `Appeal: ${url ? esc(url) : "@SpamBot"}. It is not marked as failed.`,
    notConfigured: (d) => `⚙️ Checks cannot run yet: ${d} Nothing was changed; tell the deployer.`,
    skipped: {
      "not-active": "Only an active session is checked. Resume it first.",
      leased: "Another job is using this session right now. Try again in a minute.",
      "flood-wait": "The session is in a flood wait; it will be checked after it ends.",
      "not-found": "This session no longer exists.",
    },
  },
  add: {
    askPhone:
      "<b>➕ Add Session</b>\nSend the phone number with the country code, e.g. <code>+998901234567</code>.\n/cancel to stop.",
    badPhone:
      "That is not a valid phone number. Send it with the country code, e.g. <code>+998901234567</code>.",
    starting: (p) => `Asking Telegram to send a login code to ${p}…`,
    codeSent: (p, where, len) =>
      `Telegram sent a login code to ${p} ${where}.\n\n` +
      "Tap the code on the keypad below: it never appears in the chat.\n" +
      `Or send the code <b>with spaces between the digits</b>, e.g. <code>${len ? Array.from({ length: len }, (_, i) => String(i + 1)).join(" ") : "1 2 3 4 5"}</code> (not dashes: Telegram catches those too).\n` +
      "Why: Telegram blocks a login whose code was sent in any chat as it is. Your message is deleted right after reading.\n/cancel to stop.",
    keypadLine: (d) => `🔢 Code: ${d}`,
    keypad: (p, d) =>
      `🔢 Login code for ${p}: ${d}\nTap the digits; ⌫ erases the last one, ✅ sends the code.`,
    keypadIncomplete: (n) => `Enter all ${n} digits first.`,
    keypadRetry: "Pressed too fast; press again.",
    keypadSent: (p, d) => `🔢 Login code for ${p}: ${d}\nChecking it with Telegram…`,
    keypadStale: "This keypad is no longer in use: the login waits for the 2FA password.",
    delivery: {
      app: "in the Telegram app (the chat “Telegram”)",
      sms: "by SMS",
      call: "by a phone call",
      "flash-call": "by a flash call",
      email: "by email",
      other: "",
    },
    askPassword: (h) =>
      `This account has two-step verification. Send its 2FA password${h ? ` (hint: ${h})` : ""}.\nYour message is deleted right after reading. /cancel to stop.`,
    wrongCode: (n) =>
      `❌ Wrong code. ${english(n, "attempt")} left. Tap it again on the keypad, or send it with spaces between the digits.`,
    wrongPassword: (n, h) => `❌ Wrong password${h ? ` (hint: ${h})` : ""}. ${english(n, "attempt")} left.`,
    codeExpired:
      "⌛ The code expired (or was sent in a chat without spaces). Press ➕ Add Session to get a new one.",
    noFlow: "This login is no longer in progress. Press ➕ Add Session to start again.",
    tooManyAttempts: "Too many wrong attempts: the login was stopped. Start again with ➕ Add Session.",
    invalidPhone: "Telegram does not accept this phone number. Check it and send it again.",
    phoneBanned: "Telegram has banned this phone number. It cannot be added.",
    noAccount: "This number has no Telegram account. Register it in the Telegram app first.",
    floodWait: (m) => `Telegram asks to wait ${m} min before trying this number again.`,
    apiCredentialsInvalid:
      "Telegram refused our API_ID/API_HASH. The deployer must fix them (my.telegram.org); nothing was changed.",
    unavailable: (m) => `⚠️ Not done: ${m}`,
    loggedIn: (r) =>
      r ? "✅ Logged in: the old session was replaced." : "✅ Logged in: the session is active.",
    previousKeyLoggedOut: "🔐 The previous key was logged out at Telegram.",
    previousKeyAlreadyDead: (code) =>
      `🔐 Telegram already refused the previous key (${code}): nothing was left to log out.`,
    previousKeyPending: (until, reason) =>
      `⚠️ The previous key could not be logged out at Telegram (${reason}): it may still work there. The logout ` +
      `is retried by the cleanup until ${until}; only for that is its ciphertext kept until then.`,
    cancelled: "Cancelled. Nothing was stored.",
    cancelledLate:
      "That login was cancelled, so your message was deleted unread. Press ➕ Add Session to start again.",
    nothingToCancel: "There is nothing to cancel.",
    expired: "⌛ Your ➕ Add Session flow expired after a while without an answer. Start again when ready.",
    replacesExisting: "This phone already has a session; it is replaced only if the new login succeeds.",
    cancelButton: "✖️ Cancel",
    adminLabel: (id, name) => (name ? `${name} (id ${id})` : `admin ${id}`),
    cliLabel: (user) => `the CLI (${user})`,
    heldByOther: (p, who, until, canTakeOver) =>
      `⛔ A login of ${p} is already in progress, started by ${who}, until ${until}. Nothing was sent.\n` +
      (canTakeOver
        ? "Wait for it to end, or take it over: theirs ends, and Telegram sends a new code."
        : "Wait for it to end, or ask them (or an owner) to cancel it."),
    takeOverButton: "⚠️ Take over",
    takeOverConfirm: (p, who, until) =>
      `Take over the login of ${p}? It was started by ${who} and runs until ${until}.\n` +
      "Their login ends now (its code stops working) and Telegram sends a new code to the phone.",
    takeOverYes: "✅ Yes, take it over",
    takeOverOwnersOnly: "Only an owner can take over another admin's login.",
    takeOverGone: (p) => `The other login of ${p} has ended meanwhile. Send the number again to start yours.`,
    notYours: (p, who, until) =>
      `⛔ The login of ${p} is no longer yours: ${who} took it over (until ${until}). What you sent was not used.`,
    takenOver: (p, who) =>
      `ℹ️ ${who} took over the login of ${p}. Yours has ended; nothing was stored. Codes for it are no longer needed.`,
  },
  admins: {
    title: "<b>👥 Admins</b>",
    owner: "owner",
    admin: "admin",
    you: "you",
    add: "➕ Add admin",
    askId:
      "Send the new admin's Telegram user id (a stranger writing to this bot is told theirs), or forward a message from them.\n/cancel to stop.",
    badId: "That is not a Telegram user id (a number such as 123456789). Send it again or /cancel.",
    added: (id) => `✅ ${id} is now an admin.`,
    already: (id) => `${id} is already an admin.`,
    removeButton: (id) => `🗑️ ${id}`,
    removeConfirm: (id) => `Remove admin ${id}? They will no longer be able to use this bot.`,
    removeYes: "Yes, remove",
    removed: (id) => `Admin ${id} removed.`,
    lastOwner: "This is the last owner and cannot be removed. Make another admin an owner first.",
    ownersOnly: "Only an owner can add or remove admins.",
    notAdmin: (id) => `${id} is not an admin (removed meanwhile).`,
  },
  miniapp: {
    formButton: "🔐 Enter it in a secure form",
    title: "Session Keeper: log in",
    forPhone: (p) => `Logging in ${p}`,
    forQr: "Logging in the account that scanned the QR code",
    codeLabel: (n) => (n ? `Login code (${n} digits)` : "Login code"),
    passwordLabel: (h) => `Two-step verification password${h ? ` (hint: ${h})` : ""}`,
    submit: "Log in",
    checking: "Checking with Telegram…",
    network: "No connection to the server. Check the network and press Log in again.",
    retry: "Something failed on our side; nothing was lost. Press the button again in a minute.",
    close: "Close",
    wrongCode: (n) => `❌ Wrong code. ${english(n, "attempt")} left.`,
    wrongPassword: (n, h) => `❌ Wrong password${h ? ` (hint: ${h})` : ""}. ${english(n, "attempt")} left.`,
    passwordNeeded: "Code accepted. This account has two-step verification: enter its password.",
    loggedIn: (r) =>
      `✅ Logged in${r ? ": the old session was replaced" : ""}. The session card is in the chat; this form closes.`,
    openFromBot: "This form works only when opened from the bot's button in Telegram. Open it from the chat.",
    reopen: "This form was opened too long ago. Close it and open it again from the chat.",
    notAdmin: "You are not an admin of this bot.",
    noLogin: "None of your logins is waiting for a code or password. Start one with ➕ Add Session.",
  },
  qr: {
    button: "📷 Log in with a QR code (recommended)",
    starting: "Preparing a QR code…",
    caption: (s, until, renewed) =>
      `${renewed ? "The previous code expired unscanned; here is a new one.\n\n" : ""}<b>📷 Log in with a QR code</b>\n` +
      "On the phone with the account: Telegram → Settings → Devices → <b>Link Desktop Device</b>, and scan this code. Then press “I scanned it”.\n\n" +
      `⏳ Valid for ${s} s, until ${until}. An expired code is replaced when you press the button.\n/cancel to stop.`,
    scannedButton: "✅ I scanned it",
    checking: "Asking Telegram…",
    notYet: "Not scanned yet. Scan the code, then press the button again.",
    passwordNeeded: (h) =>
      `Scanned. This account has two-step verification: enter its password in the secure form${h ? ` (hint: ${h})` : ""}, or send it here (the message is deleted right after reading). /cancel to stop.`,
    scannedCaption: "✅ Scanned.",
    loggedInCaption: "✅ Scanned and logged in.",
    over: "This QR login is over (finished, cancelled or expired). Press ➕ Add Session to start again.",
    waitingPassword:
      "Scanned: the login now waits for the account's 2FA password (the secure form, or send it here).",
    otherAccount: (p) =>
      `The account that scanned the code has the number ${p}, which is stored here for another Telegram account. Nothing was changed. If the number changed hands, delete that session first, then scan again.`,
  },
  language: { choose: "Choose the language:", set: "Language: English." },
  notify: {
    sessionsFailed: (failed) =>
      `🔴 <b>Health check</b>: ${english(failed.length, "session")} stopped working and were paused:\n` +
      listFailed(failed, (n) => `…and ${n} more`) +
      "\n\nOpen 📋 Sessions → 🔴 error, delete them, then ➕ Add Session to log in again.",
    runCounts: (c) =>
      `Checked ${c.checked}: 🟢 ${c.healthy} healthy, 🔴 ${c.failed} failed, ⏳ ${c.floodWaited} flood wait, ` +
      `⚠️ ${c.transient} temporary errors (retried next run)${c.frozen > 0 ? `, 🧊 ${c.frozen} frozen by Telegram` : ""}.`,
    sessionsFrozen: (f) =>
      `🧊 <b>Health check</b>: Telegram froze ${english(f.length, "account")}. Their sessions work, but the accounts can only ` +
      "read and are deleted on the date shown unless the owner appeals:\n" +
      listFrozen(
        f,
        (x) =>
          `• <code>${esc(x.phone)}</code>${x.until ? `: until ${x.until}` : ""}; appeal: ${x.appealUrl ? esc(x.appealUrl) : "@SpamBot"}`,
        (n) => `…and ${n} more`,
      ),
    notChecked: (s) =>
      `⚠️ <b>${english(s.length, "session")} could not be checked</b> (they will be checked again next run):\n` +
      listFailed(s, (n) => `…and ${n} more`),
    runUnfinished: (n) =>
      `⚠️ <b>The last health check did not finish</b>: ${english(n, "check")} never ended. See the function's logs and ` +
      "the dead-letter queue.",
    newLogins: (l) =>
      `🚨 <b>New login${l.length === 1 ? "" : "s"}</b> since the last check (possible takeover):\n` +
      l
        .map(
          (x) =>
            `• <code>${x.phone}</code>: new login on ${x.device}, ${x.app}${x.officialApp ? "" : " (not an official app)"}` +
            `, from ${x.place || "an unknown place"}` +
            (x.endPossibleFrom ? `; ending it is possible from ${x.endPossibleFrom}` : ""),
        )
        .join("\n") +
      "\n\nIf nobody you know logged in, an owner ends it with the buttons below (or 📱 Devices on the card).",
    withoutTwoFa: (n) => `⚠️ ${n} active session(s) without a 2FA password.`,
    restricted: (n) => `🚫 ${english(n, "active session")} limited by Telegram (last @SpamBot check).`,
    pendingLogouts: (n) =>
      `⏳ ${english(n, "key", "keys")} of deleted or replaced sessions not yet logged out at Telegram: the ` +
      "weekly cleanup retries (sessions revoke-pending to retry now).",
    endLoginButton: (p, d) => `⛔ ${p}: end ${d}`,
    endOthersButton: (p) => `⛔ ${p}: end all other devices`,
  },
  fleet: {
    drawing: "📈 Drawing the chart…",
    noRuns:
      "📈 No health check has recorded the fleet in the last 30 days, so there is nothing to draw yet. " +
      "The chart fills in after the daily check (or <code>sessions check --all</code>).",
    caption: (c, last) =>
      `<b>📈 Fleet, last 30 days</b>\nNow: 🟢 ${c.active} active · ⏸ ${c.paused} paused · 🔴 ${c.error} error` +
      (last ? `\nLast check ${last.at}: ${last.checked} checked, ${last.failed} newly failed` : ""),
    chartTitle: "Fleet, last 30 days",
    chartSubtitle: "Sessions per status as each day's last health check ended (UTC)",
    sessionsAxis: "sessions",
    newlyFailed: "newly failed",
    pageTitle: "Fleet",
    now: "Now",
    lastRun: "Last check",
    lastRunLine: (at, checked, failed) => `${at}: ${checked} checked, ${failed} newly failed`,
    openPage: "📊 Open the fleet page",
    loading: "Loading…",
  },
  commands: {
    start: "Main menu",
    sessions: "Sessions by status",
    add: "Add a session (log in)",
    admins: "Admins",
    language: "Language",
    cancel: "Cancel the current step",
  },
  unknownText: "I did not understand that. Press /start for the menu.",
  failed: "⚠️ Something went wrong and nothing was changed. Try again; if it repeats, tell the deployer.",
};
