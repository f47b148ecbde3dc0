/**
 * What became of a deleted session's key at Telegram, as a small pure state machine beside the status one:
 *
 *     (delete) ── confirmed ──▶ logged-out | already-dead          ciphertext destroyed
 *        └───── not confirmed ─▶ pending ── confirmed ──▶ logged-out | already-dead
 *                                  │  └─ not confirmed, before giveUpAt ─▶ pending (retried by the next cleanup)
 *                                  └──── not confirmed, at or after giveUpAt ─▶ unconfirmed  ciphertext destroyed
 *
 * A pending tombstone keeps its ciphertext (it is the only way left to log the key out) and no expiry: it must not
 * vanish before the key is ended or given up on. Given up, the ciphertext is destroyed anyway and the record says the
 * logout was never confirmed.
 */

/** Days a pending logout is retried before the ciphertext is destroyed anyway (a setting; this is its default). */
export const REVOCATION_GIVE_UP_DAYS = 7;

/** How a logout was confirmed: Telegram answered auth.logOut, or it already refused the key. */
export type RevocationConfirmation = "logged-out" | "already-dead";

export type KeyRevocation =
  | {
      readonly state: "pending";
      /** ISO: the delete's own attempt. */
      readonly firstTriedAt: string;
      readonly lastTriedAt: string;
      /** ISO: the first retry at or after this time that fails gives up. */
      readonly giveUpAt: string;
      readonly attempts: number;
      /** Why the last attempt was not confirmed (a classified failure's message; no secret). */
      readonly lastError: string;
    }
  | { readonly state: RevocationConfirmation; readonly at: string; readonly attempts: number }
  | {
      readonly state: "unconfirmed";
      readonly at: string;
      readonly firstTriedAt: string;
      readonly attempts: number;
      readonly lastError: string;
    };

export type RevocationState = KeyRevocation["state"];

/** One attempt's result, as lib/telegram's revocation reports it (in the words this layer keeps). */
export type RevocationAttempt =
  { readonly confirmed: RevocationConfirmation } | { readonly notConfirmed: string };

export class RevocationSettledError extends Error {
  /** `none`: the session was deleted without a pending logout, or is not deleted. */
  constructor(readonly state: RevocationState | "none") {
    super(
      state === "none"
        ? "This session has no pending logout at Telegram; there is nothing to retry."
        : `The key's logout is already settled (${state}); there is nothing left to retry.`,
    );
    this.name = "RevocationSettledError";
  }
}

/**
 * The revocation after `attempt` at `now`: from nothing (the delete's own attempt) or from `pending` (a retry).
 * Throws `RevocationSettledError` for a settled one.
 */
export function nextRevocation(
  current: KeyRevocation | undefined,
  attempt: RevocationAttempt,
  now: Date,
  giveUpDays: number = REVOCATION_GIVE_UP_DAYS,
): KeyRevocation {
  if (current && current.state !== "pending") throw new RevocationSettledError(current.state);
  if (!(giveUpDays > 0))
    throw new Error(`The revocation give-up must be a positive number of days, not ${giveUpDays}.`);
  const at = now.toISOString();
  const attempts = (current?.attempts ?? 0) + 1;
  if ("confirmed" in attempt) return { state: attempt.confirmed, at, attempts };
  if (!current) {
    return {
      state: "pending",
      firstTriedAt: at,
      lastTriedAt: at,
      giveUpAt: new Date(now.getTime() + giveUpDays * 86_400_000).toISOString(),
      attempts,
      lastError: attempt.notConfirmed,
    };
  }
  if (at >= current.giveUpAt) {
    return {
      state: "unconfirmed",
      at,
      firstTriedAt: current.firstTriedAt,
      attempts,
      lastError: attempt.notConfirmed,
    };
  }
  return { ...current, lastTriedAt: at, attempts, lastError: attempt.notConfirmed };
}

/** True while the key may still be alive at Telegram and its ciphertext is kept to retry. */
export function isRevocationPending(
  revocation: KeyRevocation | undefined,
): revocation is Extract<KeyRevocation, { state: "pending" }> {
  return revocation?.state === "pending";
}

/**
 * What became of the key, in the operator's words, for the audit trail and the CLI (the bot has its own per
 * language). `code` is Telegram's error name for a key it already refused, when known.
 */
export function describeKeyRevocation(revocation: KeyRevocation, code?: string): string {
  switch (revocation.state) {
    case "logged-out":
      return "logged out at Telegram and destroyed";
    case "already-dead":
      return `Telegram already refused the key${code ? ` (${code})` : ""}: destroyed`;
    case "pending":
      return (
        `deleted here; Telegram could not be reached (${revocation.lastError}), the logout is retried until ` +
        `${revocation.giveUpAt} (only for that, the ciphertext is kept until then)`
      );
    case "unconfirmed":
      return (
        `logout never confirmed after ${revocation.attempts} attempts (last: ${revocation.lastError}); ` +
        "the ciphertext is destroyed anyway"
      );
  }
}

/**
 * What became of a replaced key (the old key of a phone logged in again or imported over), in the operator's words,
 * for the audit trail and the CLI. `code` as for `describeKeyRevocation`.
 */
export function describePreviousKey(revocation: KeyRevocation, code?: string): string {
  switch (revocation.state) {
    case "logged-out":
      return "the previous key was logged out at Telegram and destroyed";
    case "already-dead":
      return `Telegram already refused the previous key${code ? ` (${code})` : ""}: destroyed`;
    case "pending":
      return (
        `the previous key could not be logged out at Telegram (${revocation.lastError}); the logout is retried ` +
        `until ${revocation.giveUpAt} (only for that, its ciphertext is kept until then)`
      );
    case "unconfirmed":
      return (
        `the previous key's logout was never confirmed after ${revocation.attempts} attempts (last: ` +
        `${revocation.lastError}); its ciphertext is destroyed anyway`
      );
  }
}
