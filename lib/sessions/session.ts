/**
 * The Session record: one Telegram user account the fleet keeps alive. The session string itself never appears
 * here in plaintext; only its ciphertext is stored, and `lib/telegram` opens it for the length of one use.
 */
import type { Phone } from "./phone";
import type { KeyRevocation } from "./revocation";

export const SESSION_STATUSES = ["active", "paused", "error", "deleted"] as const;

/**
 * - `active`: works and is checked.
 * - `paused`: stopped by an admin; not checked, not used.
 * - `error`: Telegram refused it (401 family, a duplicated key, a deactivated account, or a run of failures);
 *   paused, with the reason kept in `lastError`. Needs a new login.
 * - `deleted`: removed by an admin or by cleanup; its ciphertext is destroyed and the tombstone expires.
 */
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export function isSessionStatus(value: string): value is SessionStatus {
  return (SESSION_STATUSES as readonly string[]).includes(value);
}

/** The Telegram account a session logs in as, as getMe last reported it. */
export interface TelegramAccount {
  readonly userId: string;
  readonly username?: string;
  readonly firstName?: string;
  readonly lastName?: string;
}

/** Why a session is in `error`: what Telegram said, in the words and code it used. */
export interface SessionFailure {
  /** e.g. "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again". */
  readonly message: string;
  /** Telegram's error name, e.g. "AUTH_KEY_UNREGISTERED", or our own ("CONSECUTIVE_FAILURES"). */
  readonly code: string;
}

/**
 * Telegram froze the account (since 2025): its key still works and getMe still answers, but the account can only
 * read until the freeze is lifted, and Telegram deletes it at `until` unless an appeal succeeds. The session's
 * status stays `active` (nothing is wrong with the key, and logging in again would not help); this is a restriction
 * of the account, set and cleared by the health check from `help.getAppConfig`.
 */
export interface AccountFreeze {
  /** When a check first found the account frozen (ISO). */
  readonly detectedAt: string;
  /** Telegram's `freeze_since_date` (ISO), when it says. */
  readonly since?: string;
  /** Telegram's `freeze_until_date` (ISO): the account is deleted then unless the freeze is lifted. */
  readonly until?: string;
  /** Telegram's `freeze_appeal_url`, where the owner appeals (usually https://t.me/spambot). */
  readonly appealUrl?: string;
}

/**
 * The device a session presents to Telegram in `initConnection` on every connection, fixed when the session is
 * created (login or import) and never taken from the machine that happens to run the job: a key whose device jumps
 * from one Lambda host to the next is what Telegram's anti-abuse systems look at.
 */
export interface DeviceIdentity {
  /** e.g. "Session Keeper". */
  readonly deviceModel: string;
  /** e.g. "server". */
  readonly systemVersion: string;
  /** e.g. "0.1.0". */
  readonly appVersion: string;
  /** ISO 639-1, e.g. "en". */
  readonly langCode: string;
  readonly systemLangCode: string;
}

export const DEVICE_IDENTITY_FIELDS = [
  "deviceModel",
  "systemVersion",
  "appVersion",
  "langCode",
  "systemLangCode",
] as const satisfies readonly (keyof DeviceIdentity)[];

/** A session's proxy as anyone may see it: the kind and the address. Its credentials are stored encrypted. */
export interface SessionProxyView {
  readonly kind: "socks5" | "mtproxy";
  readonly host: string;
  readonly port: number;
}

/**
 * What @SpamBot last said about the account (an owner-started check, never the daily one): free, limited until a
 * date, limited for good, or a reply we do not recognise, kept verbatim for a person to read.
 */
export type RestrictionReading =
  | { readonly state: "free"; readonly checkedAt: string }
  | { readonly state: "limited"; readonly until: string; readonly checkedAt: string }
  | { readonly state: "limited-forever"; readonly checkedAt: string }
  | { readonly state: "unknown"; readonly text: string; readonly checkedAt: string };

export type RestrictionState = RestrictionReading["state"];

/** Limited now, as far as the last reading says (a limitation whose date has passed no longer counts). */
export function isRestricted(reading: RestrictionReading | undefined, now: Date = new Date()): boolean {
  if (!reading) return false;
  if (reading.state === "limited-forever") return true;
  return reading.state === "limited" && reading.until > now.toISOString();
}

/** Whether the account has a 2FA (cloud) password, as a check last read it (`account.getPassword`). */
export interface TwoFaSeen {
  readonly hasPassword: boolean;
  /** When it was read (ISO). */
  readonly checkedAt: string;
}

/**
 * The account's other authorizations as the last check saw them: their hashes (sorted, our own key's left out). A
 * hash that is not here at the next check is a new login, reported once as a possible takeover.
 */
export interface AuthorizationsSeen {
  readonly fingerprint: readonly string[];
  /** When they were read (ISO). */
  readonly checkedAt: string;
}

export interface Session {
  readonly phone: Phone;
  readonly status: SessionStatus;
  /** Derived from status (only `active` is unpaused); stored because operators read the rows. */
  readonly isPaused: boolean;
  readonly account?: TelegramAccount;
  readonly lastError?: string;
  readonly lastErrorCode?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastCheckedAt?: string;
  /** Optimistic lock: every write names the version it read and bumps it. */
  readonly version: number;
  /** Whether an encrypted session string is stored (false only for deleted tombstones). */
  readonly hasSecret: boolean;
  readonly leaseOwner?: string;
  /** ISO time until which `leaseOwner` holds the session. */
  readonly leaseUntil?: string;
  /** Transient failures (timeouts, 5xx) since the last success. */
  readonly consecutiveFailures: number;
  /** A flood wait from Telegram: do not use the session before this ISO time. */
  readonly floodWaitUntil?: string;
  /** Present while Telegram reports the account frozen (see `AccountFreeze`); cleared when a check finds none. */
  readonly frozen?: AccountFreeze;
  /**
   * Telegram's `authorization_ttl_days` for the account (`account.getAuthorizations`): a session not used for this
   * many days is terminated by Telegram. Recorded by the health check, whose getMe counts as a use.
   */
  readonly authorizationTtlDays?: number;
  /**
   * The Telegram data centre the session's key lives on (1–5), as its last successful check connected to it. Not
   * secret; the health check's dispatcher reads it (it cannot open the key) to cap connections per data centre.
   */
  readonly dcId?: number;
  /** The account's 2FA password, as the last check (or `sessions 2fa set`) saw it; absent: never read. */
  readonly twoFa?: TwoFaSeen;
  /** The account's other authorizations at the last check; absent: never read (the first read is the baseline). */
  readonly authorizations?: AuthorizationsSeen;
  /** The device this session presents on every connection (absent only on rows older than identities). */
  readonly identity?: DeviceIdentity;
  /**
   * The API id its key was created under, presented in `initConnection` (a logged-in key needs no API hash).
   * Absent on rows older than this field: those use the deployment's API_ID, as they always did.
   */
  readonly apiId?: number;
  /** True for a session of Telegram's test servers (test numbers +99966…, imported explicitly as such). */
  readonly testServers?: boolean;
  /** The proxy every connection of this session goes through, if any. */
  readonly proxy?: SessionProxyView;
  /** What @SpamBot said when last asked (`sessions spambot`), with when. */
  readonly restriction?: RestrictionReading;
  readonly deletedAt?: string;
  /**
   * Once deleted: the key's logout at Telegram (revocation.ts). `pending` keeps the ciphertext (`hasSecret`) until a
   * retry confirms it or it is given up; absent on sessions deleted before revocation existed.
   */
  readonly revocation?: KeyRevocation;
}
