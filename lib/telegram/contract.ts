/**
 * What the rest of the system (bot, jobs, CLI) may ask of the userbot layer. Pure types: importing this file pulls
 * in no GramJS, so the AdminBot's ordinary button presses stay light; the implementation is loaded lazily.
 *
 * The implementation lives beside this file (`lib/telegram/*`) and is the only code that imports GramJS.
 */
import type { Phone } from "../sessions/phone";
import type { ProxySettings } from "../sessions/proxy";
import type {
  AccountFreeze,
  DeviceIdentity,
  RestrictionReading,
  Session,
  TelegramAccount,
} from "../sessions/session";
import type { LoginFlowView, QrLoginView } from "../bot-state/login-flows";
import type { AuditAction } from "../bot-state/audit";
import type { ReplacedKey } from "../sessions/repository";
import type { KeyRevocation } from "../sessions/revocation";

// What a login in progress looks like is its record's (the bot-state table's login flows), read without GramJS.
export type { CodeDelivery, LoginFlowView, QrLoginView } from "../bot-state/login-flows";

/** How a Telegram (or network) failure is to be treated. */
export type FailureKind =
  /** The auth key is no good any more: 401 family, 406 AUTH_KEY_DUPLICATED. Status `error`, log in again. */
  | "dead"
  /** The account itself is gone: USER_DEACTIVATED, USER_DEACTIVATED_BAN. Status `error`, marked as such. */
  | "account-gone"
  /** FLOOD_WAIT_X / FLOOD_PREMIUM_WAIT_X: wait `seconds`, not a death. */
  | "flood"
  /** 5xx, timeouts, connect failures: retry later; only a run of them marks an error. */
  | "transient"
  /**
   * FROZEN_METHOD_INVALID (420), FROZEN_PARTICIPANT_MISSING: Telegram froze the account. The key still works
   * (getMe succeeds) but the account is read-only until Telegram lifts the freeze or deletes the account: not a
   * dead key, not transient (retrying changes nothing), and not a flood wait despite the 420.
   */
  | "frozen"
  /** Anything else (a bug, an unexpected RPC error). */
  | "other";

export interface ClassifiedFailure {
  readonly kind: FailureKind;
  /** Telegram's error name ("AUTH_KEY_UNREGISTERED", "FLOOD_WAIT") or ours ("TIMEOUT", "CONNECT_FAILED"). */
  readonly code: string;
  /** One line an operator can act on, e.g. "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again". */
  readonly message: string;
  /** For `flood`: how long to wait. */
  readonly seconds?: number;
}

/**
 * Authorizations of the account that the previous check did not see (a possible takeover): reported once, by the
 * check that first sees them. Never on a session's first read of its devices (that one is the baseline).
 */
export interface NewLogins {
  readonly authorizations: readonly DeviceAuthorization[];
  /** Our key is younger than 24 h: Telegram refuses to end other authorizations before this ISO time. */
  readonly endOthersPossibleFrom?: string;
}

/** The result of checking one session (getMe through the session, under its lease and a deadline). */
export type CheckResult =
  | {
      readonly outcome: "healthy";
      readonly phone: Phone;
      readonly account: TelegramAccount;
      /** Present when the account has logins the previous check did not see. */
      readonly newLogins?: NewLogins;
    }
  /** Marked `error` by this check (dead key, account gone, or the Nth consecutive transient failure). */
  | { readonly outcome: "failed"; readonly phone: Phone; readonly failure: ClassifiedFailure }
  | { readonly outcome: "flood-wait"; readonly phone: Phone; readonly until: string }
  /**
   * The key works but Telegram froze the account (help.getAppConfig's freeze_* keys, or a FROZEN_* error). Not a
   * failure: status stays `active`, nothing is counted against the session; `freeze` is on the row too.
   * `newlyFrozen` is true when the previous check had not found it frozen (the admins are told once).
   */
  | {
      readonly outcome: "frozen";
      readonly phone: Phone;
      readonly freeze: AccountFreeze;
      readonly newlyFrozen: boolean;
      /** As getMe reported it; absent when getMe itself was refused with a FROZEN_* error. */
      readonly account?: TelegramAccount;
      readonly newLogins?: NewLogins;
    }
  /** A transient failure that did not (yet) mark the session: `failures` in a row so far. */
  | {
      readonly outcome: "transient";
      readonly phone: Phone;
      readonly failure: ClassifiedFailure;
      readonly failures: number;
    }
  /** Not checked: not active, leased by another job, in a flood wait, or gone. */
  | {
      readonly outcome: "skipped";
      readonly phone: Phone;
      readonly reason: "not-active" | "leased" | "flood-wait" | "not-found";
    };

export interface CheckOptions {
  /** Hard deadline for the whole check (lease, connect, getMe, destroy), in ms from now. */
  readonly deadlineMs: number;
  /** Who checks, for the lease and the audit trail: "check-now:<admin id>", "health-check:<run id>". */
  readonly actor: string;
}

/**
 * What became of the old key of a phone logged in again or imported over, once the new key was stored: logged out at
 * Telegram, already refused there, or not confirmed (`pending`: its ciphertext is kept apart, and the cleanup and
 * `sessions revoke-pending` retry its logout until `retryUntil`, then destroy it anyway).
 */
export type PreviousKeyOutcome =
  | { readonly outcome: "logged-out" }
  | { readonly outcome: "already-dead"; readonly code: string }
  | { readonly outcome: "pending"; readonly retryUntil: string; readonly reason: string };

/** A session string stored by `importSession`. */
export interface ImportedSession {
  readonly session: Session;
  /** True when it replaced the phone's earlier session. */
  readonly replaced: boolean;
  /** When it replaced one: what became of that session's old key at Telegram. */
  readonly previousKey?: PreviousKeyOutcome;
}

/** Every outcome of a login step. Each failure kind has its own message in the bot and the CLI. */
export type LoginOutcome =
  /** `tookOverFrom`: the actor whose live login of the phone this start took over (and whose key was logged out). */
  | { readonly kind: "code-sent"; readonly flow: LoginFlowView; readonly tookOverFrom?: string }
  | { readonly kind: "password-needed"; readonly flow: LoginFlowView }
  | {
      readonly kind: "logged-in";
      readonly session: Session;
      readonly replaced: boolean;
      /** When it replaced a session: what became of that session's old key at Telegram. */
      readonly previousKey?: PreviousKeyOutcome;
    }
  /** Retry with the right code; `flow.attemptsLeft` says how many tries remain (0 ends the flow). */
  | { readonly kind: "wrong-code"; readonly flow: LoginFlowView }
  | { readonly kind: "wrong-password"; readonly flow: LoginFlowView }
  /** The code expired (or was shared in a chat): start again. The flow is gone. */
  | { readonly kind: "code-expired" }
  /** No login in progress for this phone (never started, cancelled, finished, or expired). */
  | { readonly kind: "no-flow" }
  /** Too many wrong tries: the flow is gone. */
  | { readonly kind: "too-many-attempts" }
  /**
   * The phone's login in progress is another actor's (`flow.startedBy`, live until `flow.expiresAt`): nothing was
   * sent or changed. A start may take it over explicitly (`takeOver`); a step or a cancel never acts on it.
   */
  | { readonly kind: "flow-held"; readonly flow: LoginFlowView }
  | { readonly kind: "invalid-phone" }
  | { readonly kind: "phone-banned" }
  /** The number has no Telegram account (sign-up is not something this tool does). */
  | { readonly kind: "no-account" }
  | { readonly kind: "flood-wait"; readonly seconds: number }
  /** API_ID / API_HASH refused by Telegram: fix the configuration. */
  | { readonly kind: "api-credentials-invalid" }
  /** Telegram could not be reached, or answered an unexpected error; safe to retry. */
  | { readonly kind: "unavailable"; readonly message: string };

/** The stateless login: each step may run in a different process (a separate Lambda invocation). */
export interface LoginService {
  /**
   * Sends the code. The same actor's earlier login of this phone is replaced; another actor's live one is refused
   * (`flow-held`) unless `takeOver` is set, which replaces it and logs its temporary key out at Telegram.
   * Every connection of the login goes through `proxy` (else through the proxy of the phone's session, if it has
   * one), and the session is stored with it.
   */
  startLogin(
    phone: Phone,
    startedBy: string,
    options?: { readonly takeOver?: boolean; readonly proxy?: ProxySettings },
  ): Promise<LoginOutcome>;
  /**
   * Accepts the code with any separators ("1 2 3 4 5", "1a2b3c4d5"). With `actor`, only on a login that actor
   * started (another's answers `flow-held`, nothing changed); without, on whoever's (tests and tools).
   */
  submitCode(phone: Phone, text: string, actor?: string): Promise<LoginOutcome>;
  /** As `submitCode`, for the 2FA password. */
  submitPassword(phone: Phone, password: string, actor?: string): Promise<LoginOutcome>;
  /** Ends the phone's login; with `actor`, only if that actor started it (another's goes on untouched). */
  cancel(phone: Phone, actor?: string): Promise<void>;
  getFlow(phone: Phone): Promise<LoginFlowView | undefined>;
}

/** Every outcome of a QR login step. */
export type QrLoginOutcome =
  /**
   * Show this QR code: `url` is `tg://login?token=<base64url>`, valid until `tokenExpiresAt`. `renewed` is true when
   * it replaces a token that expired unscanned (a new image must be shown); false for the first one, and for a poll
   * that found the same token still waiting to be scanned.
   */
  | {
      readonly kind: "qr";
      readonly url: string;
      readonly tokenExpiresAt: string;
      readonly renewed: boolean;
      readonly flow: QrLoginView;
    }
  | { readonly kind: "password-needed"; readonly flow: QrLoginView }
  | { readonly kind: "wrong-password"; readonly flow: QrLoginView }
  | {
      readonly kind: "logged-in";
      readonly session: Session;
      readonly replaced: boolean;
      /** When it replaced a session: what became of that session's old key at Telegram. */
      readonly previousKey?: PreviousKeyOutcome;
    }
  /** No QR login in progress for this owner (never started, cancelled, finished, or expired). */
  | { readonly kind: "no-flow" }
  | { readonly kind: "too-many-attempts" }
  /**
   * The account that scanned the code has a number stored here for another Telegram account (the number changed
   * hands): nothing is replaced, and the new key is logged out. Delete that session first to add this account.
   */
  | { readonly kind: "other-account"; readonly phone: Phone }
  /** The scanned account is banned or deactivated. */
  | { readonly kind: "phone-banned" }
  | { readonly kind: "flood-wait"; readonly seconds: number }
  | { readonly kind: "api-credentials-invalid" }
  | { readonly kind: "unavailable"; readonly message: string };

/** Login by QR code (Telegram → Settings → Devices → Link Desktop Device), one stateless step per call. */
export interface QrLoginService {
  /** A fresh session and its first login token. A QR login already in progress for `owner` is replaced. */
  startQr(owner: string): Promise<QrLoginOutcome>;
  /**
   * "I scanned it": asks Telegram whether the token was accepted (auth.exportLoginToken again, following
   * auth.loginTokenMigrateTo to the account's DC), waiting up to `waitMs` (default 0: ask once) for the scan.
   * Not yet scanned: `qr` (renewed when the old token had expired). Scanned: `logged-in` or `password-needed`.
   * `waitMs` is capped so the step fits its deadline (20 s): at most 12 s, asking every 1.5 s. At the password
   * step: `password-needed` again, Telegram not asked. After the login: `no-flow`, nothing changed.
   */
  pollQr(owner: string, options?: { readonly waitMs?: number }): Promise<QrLoginOutcome>;
  /**
   * The 2FA password (real SRP): `logged-in`, or `wrong-password` (one try fewer; the last one ends the flow with
   * `too-many-attempts`). Before the scan: the current QR code (`qr`, not renewed), Telegram not asked.
   */
  submitQrPassword(owner: string, password: string): Promise<QrLoginOutcome>;
  cancelQr(owner: string): Promise<void>;
  getQrFlow(owner: string): Promise<QrLoginView | undefined>;
}

/**
 * What became of a stored key when Telegram was asked to log it out (`auth.logOut` with that key). Never thrown:
 * every failure of Telegram (or of the way to it) is one of these.
 */
export type RevocationOutcome =
  /** Telegram answered auth.logOut: the key is dead there. */
  | { readonly outcome: "logged-out" }
  /**
   * Telegram already refuses the key (401 family, AUTH_KEY_DUPLICATED) or the account is gone: nothing is left to
   * end, so it counts as logged out. `code` is Telegram's error name.
   */
  | { readonly outcome: "already-dead"; readonly code: string }
  /**
   * Not confirmed: Telegram could not be reached, asked to wait, did not answer in time, refused for another reason,
   * or another job holds the session right now (LEASE_HELD). The key may still be alive: try again later.
   */
  | { readonly outcome: "not-confirmed"; readonly failure: ClassifiedFailure };

/** Deleting a stored session: its key logged out at Telegram first, then the row deleted, under one lease. */
export interface DeleteSessionOptions extends CheckOptions {
  /**
   * The version the operator saw (the card, `sessions remove`). A session changed since is not deleted and its key
   * not touched: `StaleVersionError`.
   */
  readonly expectedVersion?: number;
  /**
   * Deleted only if this holds for the session as leased (cleanup: still an error, unchanged since the cut-off);
   * otherwise `kept`, its key not touched.
   */
  readonly only?: (session: Session) => boolean;
  /** The audit entry written in one transaction with the delete; the logout's outcome is added to its detail. */
  readonly audit: {
    readonly action: AuditAction;
    readonly actor: string;
    readonly detail?: string;
  };
}

export type DeleteSessionResult =
  /**
   * The row is a `deleted` tombstone. `revocation` says what Telegram answered: logged out or already dead (the
   * ciphertext is destroyed), or not confirmed (the tombstone keeps the ciphertext; `session.revocation` is
   * `pending` with its give-up date, and the next cleanup retries).
   */
  | { readonly outcome: "deleted"; readonly session: Session; readonly revocation: RevocationOutcome }
  /** `only` did not hold: nothing was changed. */
  | { readonly outcome: "kept"; readonly session: Session };

/** A logout of a replaced key: what Telegram answered, and where its revocation stands now. */
export interface RetryReplacedKeyResult {
  readonly revocation: RevocationOutcome;
  /** Settled (logged-out, already-dead, unconfirmed: the item is gone) or still `pending`. */
  readonly state: KeyRevocation;
}

/** A retry of a pending logout: what Telegram answered, and the tombstone after it. */
export interface RetryRevocationResult {
  readonly revocation: RevocationOutcome;
  /** `session.revocation.state`: settled (logged-out, already-dead, unconfirmed) or still `pending`. */
  readonly session: Session;
}

/** One authorization (a logged-in device) of an account, as `account.getAuthorizations` lists it. */
export interface DeviceAuthorization {
  /** Telegram's authorization hash (a 64-bit number as decimal text): what ending it names. */
  readonly hash: string;
  /** True for the authorization of our own stored key. */
  readonly current: boolean;
  /** Telegram says the app is one of its official apps. */
  readonly officialApp: boolean;
  /** Logged in with the code but not yet with the 2FA password. */
  readonly passwordPending: boolean;
  readonly deviceModel: string;
  readonly platform: string;
  readonly systemVersion: string;
  readonly appName: string;
  readonly appVersion: string;
  readonly apiId: number;
  /** Where Telegram places the device's address (country name, and region when it says). */
  readonly country: string;
  readonly region: string;
  /** ISO times. */
  readonly createdAt: string;
  readonly lastActiveAt: string;
}

/**
 * The other authorizations of an account as a set of their hashes (sorted, our own key's left out): what the daily
 * check keeps to notice a new login. See `newAuthorizations`.
 */
export type AuthorizationFingerprint = readonly string[];

/** Every authorization of an account, ours flagged `current`. */
export interface AccountDevices {
  /** Ours first, then the others as Telegram listed them. */
  readonly authorizations: readonly DeviceAuthorization[];
  readonly fingerprint: AuthorizationFingerprint;
  /** Telegram's `authorization_ttl_days`: an authorization unused this long is ended by Telegram. */
  readonly ttlDays?: number;
  /**
   * Present while our key is younger than 24 h: Telegram refuses to end other authorizations before this ISO time
   * (FRESH_RESET_AUTHORISATION_FORBIDDEN).
   */
  readonly endOthersPossibleFrom?: string;
}

/** Ending one authorization (`account.resetAuthorization`) or all but ours (`auth.resetAuthorizations`). */
export type EndAuthorizationOutcome =
  | { readonly outcome: "ended" }
  /** No such authorization (already ended, or ours: use a logout for our own key). Nothing changed. */
  | { readonly outcome: "not-found" }
  /**
   * Our key is younger than 24 h and Telegram refuses (FRESH_RESET_AUTHORISATION_FORBIDDEN): possible from
   * `possibleFrom` (ISO). Nothing changed.
   */
  | { readonly outcome: "too-fresh"; readonly possibleFrom: string };

/** Whether the account has a 2FA (cloud) password, from `account.getPassword`. */
export interface TwoFaPosture {
  readonly hasPassword: boolean;
  /** The password's hint, when it has one. */
  readonly hint?: string;
}

/** What to set: never stored, never logged (both passwords are masked in every log line while the call runs). */
export interface SetTwoFaPassword {
  readonly newPassword: string;
  /** Needed when the account already has a password. */
  readonly currentPassword?: string;
  readonly hint?: string;
}

export type SetTwoFaOutcome =
  /** The account now has `newPassword`; `changed` is true when it replaced one. */
  | { readonly outcome: "set"; readonly changed: boolean }
  /** The account has a password and none was given: ask for it. Nothing changed. */
  | { readonly outcome: "current-password-needed"; readonly hint?: string }
  /** The current password given is wrong (PASSWORD_HASH_INVALID). Nothing changed. */
  | { readonly outcome: "wrong-current-password"; readonly hint?: string };

/** How an imported string is to be taken, beyond what it carries. */
export interface ImportOptions {
  /**
   * The API id the string was made under, for formats that do not carry one (GramJS, Telethon, older Pyrogram).
   * Default: the deployment's. A Pyrogram string's own API id always wins (a different one here is refused).
   */
  readonly apiId?: number;
  /** Parts of the device identity to present instead of the default. */
  readonly device?: Partial<DeviceIdentity>;
  /** The string is for Telegram's test servers: only for a test number (+99966…). */
  readonly testServers?: boolean;
}

/**
 * The userbot operations the bot, the jobs and the CLI use. Those that open a session (all but `checkSession`,
 * which returns every outcome, and `revokeSession`) throw what `withUserbot` throws when they cannot run:
 * `SessionNotFoundError`, `SessionNotActiveError`, `FloodWaitPendingError`, `LeaseHeldError`, or
 * `UserbotFailedError` (Telegram failed; its `failure` says how, and the session row recorded it as any use does).
 */
export interface UserbotService {
  /** getMe through the session, recording the result as the health check does. */
  checkSession(phone: Phone, options: CheckOptions): Promise<CheckResult>;
  /** Stores an existing session string (GramJS, Telethon or Pyrogram format) after proving it with getMe. */
  importSession(
    phone: Phone,
    sessionString: string,
    actor: string,
    options?: ImportOptions,
  ): Promise<ImportedSession>;
  /**
   * Logs the stored key out at Telegram (`auth.logOut`), under the session's lease, whatever its status; writes
   * nothing to the row. Throws only `SessionNotFoundError` (no stored key) and configuration errors.
   */
  revokeSession(phone: Phone, options: CheckOptions): Promise<RevocationOutcome>;
  /**
   * Deletes a stored session, its key logged out at Telegram first, under the session's lease (see
   * `DeleteSessionOptions`). Throws `SessionNotFoundError`, `StaleVersionError`, `IllegalTransitionError` (already
   * deleted), `LeaseHeldError` (another job uses it right now: nothing changed, try again) and configuration errors;
   * never for Telegram's sake.
   */
  deleteSession(phone: Phone, options: DeleteSessionOptions): Promise<DeleteSessionResult>;
  /**
   * Tries a pending logout again (a deleted session whose key's logout was not confirmed), under its lease, and
   * records the outcome with its audit entry: settled, still pending, or given up (`unconfirmed`, ciphertext
   * destroyed) at or after its give-up date. Throws `RevocationSettledError` when it is not pending,
   * `StaleVersionError` when it changed meanwhile, `LeaseHeldError` when another job holds it.
   */
  retryRevocation(phone: Phone, options: CheckOptions): Promise<RetryRevocationResult>;
  /**
   * Tries the pending logout of a replaced key again (the old key of a phone logged in again or imported over) and
   * records the outcome with its audit entry: settled (the key's item and ciphertext gone), still pending, or given
   * up at or after its give-up date (`unconfirmed`, destroyed anyway). Throws `RevocationSettledError` when another
   * retry settled or counted it meanwhile.
   */
  retryReplacedKey(key: ReplacedKey, options: CheckOptions): Promise<RetryReplacedKeyResult>;
  /** Every authorization of the account (`account.getAuthorizations`), ours flagged. */
  listDevices(phone: Phone, options: CheckOptions): Promise<AccountDevices>;
  /** Ends one other authorization by its hash (`account.resetAuthorization`). */
  endDevice(phone: Phone, hash: string, options: CheckOptions): Promise<EndAuthorizationOutcome>;
  /** Ends every authorization but ours (`auth.resetAuthorizations`). */
  endOtherDevices(phone: Phone, options: CheckOptions): Promise<EndAuthorizationOutcome>;
  /** Whether the account has a 2FA password (`account.getPassword`). */
  twoFaPosture(phone: Phone, options: CheckOptions): Promise<TwoFaPosture>;
  /** Sets or changes the 2FA password through GramJS's own helper (SRP). */
  setTwoFaPassword(phone: Phone, input: SetTwoFaPassword, options: CheckOptions): Promise<SetTwoFaOutcome>;
  /**
   * Sends /start to @SpamBot from the session, classifies its answer and stores it on the row (an owner's request
   * only: never part of the daily check). Throws what `withUserbot` throws.
   */
  checkRestriction(phone: Phone, options: CheckOptions): Promise<RestrictionReading>;
}
