/**
 * Plain-text formatting for the terminal: colours (off for NO_COLOR, TERM=dumb and anything that is not a
 * terminal, so pipes and logs get clean text), tables aligned by display width, relative times, and the words
 * operators read.
 */
import stringWidth from "string-width";
import type { Env } from "../config";
import { pluralWord } from "../plural";
import {
  isRestricted,
  type KeyRevocation,
  type RestrictionReading,
  type Session,
  type SessionStatus,
  type TelegramAccount,
} from "../sessions";

export interface Colors {
  readonly enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const identity = (s: string) => s;

export function colorsFor(stream: { isTTY?: boolean }, env: Env): Colors {
  // https://no-color.org: any non-empty NO_COLOR turns colour off; FORCE_COLOR turns it on for pipes.
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0";
  const enabled = !noColor && (forced || (Boolean(stream.isTTY) && env.TERM !== "dumb"));
  if (!enabled) {
    return {
      enabled: false,
      red: identity,
      green: identity,
      yellow: identity,
      dim: identity,
      bold: identity,
    };
  }
  return {
    enabled: true,
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

/**
 * Columns a string takes on the terminal: colour codes none, CJK and emoji two each (a 👩‍💻 is one emoji of two
 * columns, not five code points), combining marks none. Counting characters put every row with such a name out of
 * line.
 */
export function visibleWidth(s: string): number {
  return stringWidth(s);
}

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/** Cuts `s` to at most `max` terminal columns, ending with "…" when cut; newlines become spaces. */
export function truncate(s: string, max: number): string {
  const flat = s.replace(/\s+/g, " ").trim();
  if (stringWidth(flat) <= max) return flat;
  let kept = "";
  let width = 0;
  for (const { segment } of graphemes.segment(flat)) {
    const w = stringWidth(segment);
    if (width + w > max - 1) break;
    kept += segment;
    width += w;
  }
  return `${kept.trimEnd()}…`;
}

/** Left-aligned columns separated by two spaces, with a header row. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  colors: Colors,
): string[] {
  const widths = headers.map((h, i) =>
    Math.max(visibleWidth(h), ...rows.map((r) => visibleWidth(r[i] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - visibleWidth(c))))
      .join("  ")
      .trimEnd();
  return [colors.bold(line(headers)), ...rows.map(line)];
}

/** "just now", "5m ago", "3h ago", "12d ago", "in 2h"; "never" for no time. */
export function relativeTime(iso: string | undefined, now: Date = new Date()): string {
  if (!iso) return "never";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now.getTime() - then) / 1000);
  const abs = Math.abs(seconds);
  let text: string;
  if (abs < 45) return "just now";
  if (abs < 3600) text = `${Math.round(abs / 60)}m`;
  else if (abs < 86_400) text = `${Math.round(abs / 3600)}h`;
  else if (abs < 86_400 * 60) text = `${Math.round(abs / 86_400)}d`;
  else if (abs < 86_400 * 730) text = `${Math.round(abs / (86_400 * 30))}mo`;
  else text = `${Math.round(abs / (86_400 * 365))}y`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** "@username", else the name, else "id 123"; "—" when the account is not known. */
export function accountLabel(account: TelegramAccount | undefined): string {
  if (!account) return "—";
  if (account.username) return `@${account.username}`;
  const name = [account.firstName, account.lastName].filter(Boolean).join(" ");
  return name || `id ${account.userId}`;
}

export function statusLabel(status: SessionStatus, colors: Colors): string {
  switch (status) {
    case "active":
      return colors.green(status);
    case "paused":
      return colors.yellow(status);
    case "error":
      return colors.red(status);
    case "deleted":
      return colors.dim(status);
  }
}

/** 1234 → "1,234". */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** "1 session", "1,234 sessions": English plural rules (`Intl.PluralRules`), the number with separators. */
export function plural(n: number, word: string, other = `${word}s`): string {
  return `${count(n)} ${pluralWord("en", n, { one: word, other })}`;
}

/** The stable JSON shape of a session for scripts (`list --json`, `show --json`): every key always present. */
export function sessionJson(s: Session) {
  return {
    phone: s.phone,
    status: s.status,
    isPaused: s.isPaused,
    account: s.account
      ? {
          userId: s.account.userId,
          username: s.account.username ?? null,
          firstName: s.account.firstName ?? null,
          lastName: s.account.lastName ?? null,
        }
      : null,
    lastError: s.lastError ?? null,
    lastErrorCode: s.lastErrorCode ?? null,
    lastCheckedAt: s.lastCheckedAt ?? null,
    consecutiveFailures: s.consecutiveFailures,
    floodWaitUntil: s.floodWaitUntil ?? null,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    deletedAt: s.deletedAt ?? null,
    hasSessionString: s.hasSecret,
    frozen: s.frozen
      ? {
          detectedAt: s.frozen.detectedAt,
          since: s.frozen.since ?? null,
          until: s.frozen.until ?? null,
          appealUrl: s.frozen.appealUrl ?? null,
        }
      : null,
    authorizationTtlDays: s.authorizationTtlDays ?? null,
    identity: s.identity
      ? {
          deviceModel: s.identity.deviceModel,
          systemVersion: s.identity.systemVersion,
          appVersion: s.identity.appVersion,
          langCode: s.identity.langCode,
          systemLangCode: s.identity.systemLangCode,
        }
      : null,
    apiId: s.apiId ?? null,
    testServers: s.testServers === true,
    proxy: s.proxy ? { kind: s.proxy.kind, host: s.proxy.host, port: s.proxy.port } : null,
    twoFa: s.twoFa ? { hasPassword: s.twoFa.hasPassword, checkedAt: s.twoFa.checkedAt } : null,
    revocation: s.revocation ? revocationJson(s.revocation) : null,
    restriction: s.restriction
      ? {
          state: s.restriction.state,
          until: s.restriction.state === "limited" ? s.restriction.until : null,
          text: s.restriction.state === "unknown" ? s.restriction.text : null,
          checkedAt: s.restriction.checkedAt,
        }
      : null,
  };
}

/** How a deleted session's key ended at Telegram, every key always present (null where it does not apply). */
function revocationJson(r: KeyRevocation) {
  return {
    state: r.state,
    pending: r.state === "pending",
    attempts: r.attempts,
    at: r.state === "pending" ? null : r.at,
    lastTriedAt: r.state === "pending" ? r.lastTriedAt : null,
    giveUpAt: r.state === "pending" ? r.giveUpAt : null,
    lastError: r.state === "pending" || r.state === "unconfirmed" ? r.lastError : null,
  };
}

/** "set", "none", "not read yet": the account's 2FA password as the last check (or `2fa set`) saw it. */
export function twoFaLabel(s: Session, now: Date = new Date()): string {
  if (!s.twoFa) return "not read yet (the next check reads it)";
  const seen = `seen ${relativeTime(s.twoFa.checkedAt, now)}`;
  return s.twoFa.hasPassword
    ? `set (${seen})`
    : `NONE (${seen}): anyone with a login code can take the account; \`sessions 2fa set ${s.phone}\``;
}

/** What @SpamBot last said, in words: "free", "limited until …", "limited for good", "unknown reply: …". */
export function restrictionLabel(r: RestrictionReading, now: Date = new Date()): string {
  const asked = `asked ${relativeTime(r.checkedAt, now)}`;
  switch (r.state) {
    case "free":
      return `free (${asked})`;
    case "limited":
      return `limited until ${r.until} (${relativeTime(r.until, now)}; ${asked})`;
    case "limited-forever":
      return `limited for good (${asked}); the owner can appeal at @SpamBot`;
    case "unknown":
      return `unknown reply (${asked}): ${truncate(r.text, 200)}`;
  }
}

/** "Session Keeper · server · app 0.1.0 · en/en": the device a session presents to Telegram. */
export function identityLabel(s: Session): string {
  if (!s.identity) return "not fixed yet (the first check fixes the default)";
  const d = s.identity;
  return `${d.deviceModel} · ${d.systemVersion} · app ${d.appVersion} · ${d.langCode}/${d.systemLangCode}`;
}

/** "SOCKS5 203.0.113.7:1080", "none". */
export function proxyLabel(s: Session): string {
  if (!s.proxy) return "none (straight to Telegram)";
  return `${s.proxy.kind === "socks5" ? "SOCKS5" : "MTProxy"} ${s.proxy.host}:${s.proxy.port}`;
}

/** The session as a card of labelled lines (for `show`, and before a `remove` asks). */
export function sessionCard(s: Session, colors: Colors, now: Date = new Date()): string[] {
  const at = (iso: string | undefined) => (iso ? `${iso} (${relativeTime(iso, now)})` : "never");
  const rows: [string, string][] = [
    ["Phone", colors.bold(s.phone)],
    [
      "Account",
      s.account
        ? [
            accountLabel(s.account),
            s.account.username ? [s.account.firstName, s.account.lastName].filter(Boolean).join(" ") : "",
            `id ${s.account.userId}`,
          ]
            .filter((x, i, all) => x && all.indexOf(x) === i)
            .join(" · ")
        : "—",
    ],
    ["Status", `${statusLabel(s.status, colors)}${s.isPaused ? " (paused)" : ""}`],
  ];
  if (s.lastError || s.lastErrorCode)
    rows.push([
      "Last error",
      [s.lastErrorCode, s.lastError]
        .filter(Boolean)
        .join(": ")
        .replace(/^(\w+): \1: /, "$1: "),
    ]);
  rows.push(["Last check", at(s.lastCheckedAt)]);
  if (s.authorizationTtlDays && s.status !== "deleted") {
    // Telegram ends a session unused for this many days; each check's getMe is a use.
    const ends = s.lastCheckedAt
      ? new Date(Date.parse(s.lastCheckedAt) + s.authorizationTtlDays * 86_400_000).toISOString()
      : undefined;
    rows.push([
      "Idle expiry",
      `after ${plural(s.authorizationTtlDays, "day")} unused (checks keep it alive)` +
        (ends ? `; without checks ${at(ends)}` : ""),
    ]);
  }
  if (s.consecutiveFailures > 0) rows.push(["Failures in a row", String(s.consecutiveFailures)]);
  if (s.floodWaitUntil) rows.push(["Flood wait until", at(s.floodWaitUntil)]);
  if (s.frozen) {
    // The key works, but Telegram froze the account: it can only read, and is deleted at `until` unless appealed.
    rows.push([
      "Frozen",
      colors.red(
        `by Telegram${s.frozen.until ? ` until ${at(s.frozen.until)}` : ""}; ` +
          `appeal: ${s.frozen.appealUrl ?? "@SpamBot"} (found ${at(s.frozen.detectedAt)})`,
      ),
    ]);
  }
  if (s.status !== "deleted") {
    rows.push(
      ["Identity", identityLabel(s)],
      [
        "API id",
        s.apiId !== undefined
          ? `${s.apiId}${s.testServers ? " (Telegram's test servers)" : ""}`
          : "the deployment's (API_ID)",
      ],
      ["Proxy", proxyLabel(s)],
      ["2FA password", s.twoFa?.hasPassword === false ? colors.red(twoFaLabel(s, now)) : twoFaLabel(s, now)],
    );
    if (s.restriction) {
      const restricted = isRestricted(s.restriction, now);
      const text = restrictionLabel(s.restriction, now);
      rows.push(["@SpamBot", restricted ? colors.red(text) : text]);
    }
  }
  if (s.leaseOwner && s.leaseUntil) rows.push(["In use by", `${s.leaseOwner} until ${s.leaseUntil}`]);
  rows.push(["Created", at(s.createdAt)], ["Updated", at(s.updatedAt)]);
  if (s.deletedAt) rows.push(["Deleted", at(s.deletedAt)]);
  // How the key ended at Telegram (issue 16): a pending logout is a key that may still work there.
  if (s.revocation)
    rows.push([
      "Logout at Telegram",
      s.revocation.state === "pending"
        ? colors.red(
            `pending: not confirmed yet (${s.revocation.lastError}); retried until ${at(s.revocation.giveUpAt)}, ` +
              `${plural(s.revocation.attempts, "attempt")} so far`,
          )
        : s.revocation.state === "unconfirmed"
          ? colors.red(`never confirmed (given up ${at(s.revocation.at)}); the ciphertext is destroyed`)
          : s.revocation.state === "logged-out"
            ? `logged out ${at(s.revocation.at)}`
            : `Telegram already refused the key (${at(s.revocation.at)})`,
    ]);
  rows.push(["Session string", s.hasSecret ? "stored, encrypted" : "none"]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${colors.dim(label.padEnd(width))}  ${value}`);
}
