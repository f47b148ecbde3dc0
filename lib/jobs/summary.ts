/**
 * What one health check run found, as the admins get it (once per run, only when something needs them) and as the
 * CLI prints it. The AdminBot's notifier renders a `HealthCheckSummary`; this file does not know about Telegram.
 */
import type { Phone } from "../sessions/phone";
import type { AccountFreeze, SessionStatus } from "../sessions/session";
import { deviceText } from "../telegram/authorization-set";
import type { CheckResult, NewLogins } from "../telegram/contract";

/**
 * How the checks of a run ended. `checked` = those that reached Telegram (healthy + failed + flood + transient +
 * frozen).
 */
export interface RunCounts {
  checked: number;
  healthy: number;
  /** Marked `error` by this run: dead key, account gone, or the last of a run of transient failures. */
  failed: number;
  /** Telegram answered FLOOD_WAIT: retried after the wait, not a death. */
  floodWaited: number;
  /** Timeouts, 5xx, connection failures not (yet) fatal. */
  transient: number;
  /** The key works but Telegram froze the account (read-only until the date Telegram gives): not a failure. */
  frozen: number;
  /** Not checked by the worker: paused or deleted meanwhile, leased by another job, in a flood wait, gone. */
  skipped: number;
  /** The check kept failing in our own code or AWS until its message went to the dead-letter queue. */
  gaveUp: number;
}

export type RunOutcome = "healthy" | "failed" | "floodWaited" | "transient" | "frozen" | "skipped" | "gaveUp";

export function emptyCounts(): RunCounts {
  return {
    checked: 0,
    healthy: 0,
    failed: 0,
    floodWaited: 0,
    transient: 0,
    frozen: 0,
    skipped: 0,
    gaveUp: 0,
  };
}

/** A session an admin has to act on. */
export interface SessionNeedingAttention {
  readonly phone: Phone;
  /** Telegram's error code (AUTH_KEY_UNREGISTERED, USER_DEACTIVATED, CONSECUTIVE_FAILURES…) or ours. */
  readonly code: string;
  /** One line saying what happened and what to do. */
  readonly reason: string;
}

/** An account a check found frozen for the first time: the admins hear of it once, with Telegram's date. */
export interface FrozenSessionNote extends SessionNeedingAttention {
  /** Telegram's `freeze_until_date` (ISO): the account is deleted then unless an appeal succeeds. */
  readonly until?: string;
  /** Where the owner appeals (Telegram's `freeze_appeal_url`). */
  readonly appealUrl?: string;
}

/** The note a frozen check leaves for the run's summary. */
export function frozenNote(phone: Phone, freeze: AccountFreeze): FrozenSessionNote {
  return {
    phone,
    code: "FROZEN",
    reason:
      `Telegram froze this account${freeze.until ? ` until ${freeze.until}` : ""}` +
      (freeze.appealUrl ? `; appeal at ${freeze.appealUrl}` : "; appeal through @SpamBot"),
    ...(freeze.until ? { until: freeze.until } : {}),
    ...(freeze.appealUrl ? { appealUrl: freeze.appealUrl } : {}),
  };
}

/**
 * A login the daily check had not seen on an account (a possible takeover), told to the admins once with buttons to
 * end it or every other login of the account.
 */
export interface NewLoginNote {
  readonly phone: Phone;
  /** Telegram's authorization hash: what ending it names. */
  readonly hash: string;
  /** "Xiaomi 13 (Android 14)". */
  readonly device: string;
  /** "Telegram Android 11.2.3". */
  readonly app: string;
  /** "Netherlands, Amsterdam"; empty when Telegram did not say. */
  readonly place: string;
  readonly officialApp: boolean;
  /** Our key is younger than 24 h: Telegram lets it end the login from this ISO time only. */
  readonly endPossibleFrom?: string;
}

/** At most this many new logins of one session are noted per run (the rest still show in its device list). */
export const NEW_LOGINS_PER_SESSION = 5;

/** The notes a check that found new logins leaves for the run's summary. */
export function newLoginNotes(phone: Phone, found: NewLogins): NewLoginNote[] {
  return found.authorizations.slice(0, NEW_LOGINS_PER_SESSION).map((a) => ({
    phone,
    hash: a.hash,
    device: deviceText(a),
    app: [a.appName, a.appVersion].filter(Boolean).join(" "),
    place: [a.country, a.region].filter(Boolean).join(", "),
    officialApp: a.officialApp,
    ...(found.endOthersPossibleFrom ? { endPossibleFrom: found.endOthersPossibleFrom } : {}),
  }));
}

/** The new logins a check result carries, as notes (none for a result without). */
export function newLoginsOf(result: CheckResult): NewLoginNote[] {
  if ((result.outcome === "healthy" || result.outcome === "frozen") && result.newLogins) {
    return newLoginNotes(result.phone, result.newLogins);
  }
  return [];
}

/** At most this many sessions are named in a summary (a Telegram message holds 4096 characters); counts cover all. */
export const SUMMARY_LIST_LIMIT = 50;

export interface HealthCheckSummary {
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Active sessions queued for a check. */
  readonly queued: number;
  /** Active sessions not queued: their flood wait had not ended, or another job held them. */
  readonly notQueued: { readonly floodWait: number; readonly leased: number };
  readonly counts: RunCounts;
  /** Newly failed in this run (status `error` now, needs a new login); the scheduled run names at most
   * `SUMMARY_LIST_LIMIT` (`failedByReason` and `counts.failed` cover all), `checkAll` names all. */
  readonly newlyFailed: readonly SessionNeedingAttention[];
  /** Newly failed per reason code, over all of them. */
  readonly failedByReason: Readonly<Record<string, number>>;
  /**
   * Accounts found frozen for the first time in this run (the key works; Telegram restricted the account), at most
   * `SUMMARY_LIST_LIMIT`; `counts.frozen` counts every frozen one. Absent: none.
   */
  readonly newlyFrozen?: readonly FrozenSessionNote[];
  /**
   * Logins found on accounts since their previous check (possible takeovers), at most `SUMMARY_LIST_LIMIT`; each is
   * in exactly one run's summary. Absent: none.
   */
  readonly newLogins?: readonly NewLoginNote[];
  /** Active sessions whose account has no 2FA password (as their last check read it). Absent: not counted. */
  readonly withoutTwoFa?: number;
  /** Active sessions Telegram limits (as their last @SpamBot check read it). Absent: not counted. */
  readonly restricted?: number;
  /**
   * Deleted or replaced sessions whose key still waits for its logout at Telegram (pending tombstones, retried by the
   * cleanup until they are given up). Absent: not counted.
   */
  readonly pendingLogouts?: number;
  /** Sessions whose check could not be completed (their messages are in the DLQ), at most `SUMMARY_LIST_LIMIT`. */
  readonly notChecked: readonly SessionNeedingAttention[];
  /** The fleet per status when the run ended. */
  readonly fleet: Readonly<Record<SessionStatus, number>>;
  /** Present only for a run that never completed and was closed by the next dispatch. */
  readonly unfinished?: {
    /** Queued sessions whose check never ended (their messages may be in the DLQ). */
    readonly checksNotFinished: number;
    /** The dispatcher stopped before queueing every due session (`queued` is then only part of the fleet). */
    readonly dispatchStoppedEarly: boolean;
  };
}

/**
 * The admins hear about a run only when a session failed, could not be checked, an account was newly frozen or has a
 * new login, or the run itself did not finish: silence means all is well.
 */
export function needsAttention(summary: HealthCheckSummary): boolean {
  return (
    summary.counts.failed > 0 ||
    summary.counts.gaveUp > 0 ||
    (summary.newlyFrozen?.length ?? 0) > 0 ||
    (summary.newLogins?.length ?? 0) > 0 ||
    summary.unfinished !== undefined
  );
}

/** Sends a summary to the admins (the AdminBot's notifier). */
export type HealthCheckNotifier = (summary: HealthCheckSummary) => Promise<void>;

export function outcomeOf(result: CheckResult): RunOutcome {
  switch (result.outcome) {
    case "healthy":
      return "healthy";
    case "failed":
      return "failed";
    case "flood-wait":
      return "floodWaited";
    case "transient":
      return "transient";
    case "frozen":
      return "frozen";
    case "skipped":
      return "skipped";
  }
}

/** Adds one outcome to `counts` (the in-process `checkAll`; the queued run adds the same way in DynamoDB). */
export function tally(counts: RunCounts, outcome: RunOutcome): void {
  counts[outcome] += 1;
  if (outcome !== "skipped" && outcome !== "gaveUp") counts.checked += 1;
}

export function countByReason(sessions: readonly SessionNeedingAttention[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sessions) out[s.code] = (out[s.code] ?? 0) + 1;
  return out;
}
