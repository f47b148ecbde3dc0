/**
 * Ending a stored key at Telegram (`auth.logOut` with that key), which every path that destroys or replaces a key
 * does first: a key deleted here but alive there is still a working credential for the account, and its ciphertext
 * lives on in backups. Three outcomes, never an exception for Telegram's sake:
 *   - `logged-out`: Telegram answered auth.logOut;
 *   - `already-dead`: Telegram refuses the key already (401 family, AUTH_KEY_DUPLICATED, or the account is gone), so
 *     there is nothing left to end;
 *   - `not-confirmed`: Telegram could not be reached, asked to wait, did not answer in time, or refused for another
 *     reason: the key may still be alive, and the caller keeps what it needs to try again.
 *
 * Unlike `useSession`, a revocation never writes to the row: a failure here says nothing about the session's health
 * (it is being deleted), and the caller records the outcome with the delete itself.
 */
import { randomBytes } from "node:crypto";
import { Api } from "telegram";
import type { AuditEntry, AuditLog, AuditPut } from "../bot-state/audit";
import { DecryptionError } from "../crypto/envelope";
import { LeaseHeldError, SessionNotFoundError, StaleVersionError } from "../sessions/errors";
import { IllegalTransitionError } from "../sessions/lifecycle";
import {
  describeKeyRevocation,
  describePreviousKey,
  isRevocationPending,
  RevocationSettledError,
  type KeyRevocation,
  type RevocationAttempt,
} from "../sessions/revocation";
import type { Phone } from "../sessions/phone";
import { forgetSecret, registerSecret } from "../log";
import { proxySecrets } from "../sessions/proxy";
import type { ReplacedKey, SessionIdentity } from "../sessions/repository";
import type { Session } from "../sessions/session";
import { DESTROY_GRACE_MS, runOneShot, type CreateClient } from "./client";
import type { ConnectionProfile } from "./connection";
import type {
  ClassifiedFailure,
  DeleteSessionOptions,
  DeleteSessionResult,
  RetryReplacedKeyResult,
  RetryRevocationResult,
  RevocationOutcome,
} from "./contract";
import { newKeyIdentity, profileOf, type ResolvedDeps } from "./deps";
import { classifyError } from "./errors";
import { sameAuthKey } from "./session-string";
import { identityOf, LEASE_MARGIN_MS, type WithUserbotOptions } from "./userbot";

/** What a failure of auth.logOut means for the key: refused already (dead), or not confirmed. */
export function revocationOutcome(failure: ClassifiedFailure): RevocationOutcome {
  if (failure.kind === "dead" || failure.kind === "account-gone") {
    return { outcome: "already-dead", code: failure.code };
  }
  return { outcome: "not-confirmed", failure };
}

/**
 * Logs out the key stored for `phone`, under the session's lease (whatever its status: active, paused or in error),
 * within `deadlineMs`. Throws only what is not Telegram's doing: `SessionNotFoundError` when the phone has no stored
 * key (none, or deleted), and configuration errors (no API credentials). A lease held by another job is
 * `not-confirmed` (code LEASE_HELD): that job may be using the key right now, and a second connection would kill it
 * with AUTH_KEY_DUPLICATED in the middle of its work.
 */
export async function revokeSession(
  deps: ResolvedDeps,
  phone: Phone,
  options: WithUserbotOptions,
): Promise<RevocationOutcome> {
  if (!(options.deadlineMs > 0)) throw new Error(`deadlineMs must be positive, not ${options.deadlineMs}.`);
  const startedAt = Date.now();
  const credentials = await deps.credentials();
  const owner = leaseOwner(options.actor);
  let leased: Session;
  try {
    leased = await acquire(deps, phone, owner, options.deadlineMs);
  } catch (err) {
    if (!(err instanceof LeaseHeldError)) throw err;
    return notConfirmed(
      "LEASE_HELD",
      `another job is using this session until ${err.until}; the logout is tried again later`,
    );
  }
  try {
    return await logOutLeased(deps, leased, credentials.apiId, remaining(options.deadlineMs, startedAt));
  } finally {
    await release(deps, phone, owner);
  }
}

/**
 * Deletes a stored session the only safe way: under its lease (no other job is using the key), the version the
 * operator saw checked, its key logged out at Telegram, then the row deleted with the outcome and its audit entry in
 * one transaction. Logged out or already dead: the ciphertext is destroyed. Not confirmed: the tombstone keeps the
 * ciphertext and says the logout is pending, so a key is never destroyed here while it may be alive there.
 *
 * A failure after the logout (the delete's write) leaves the row as it was, with a key that is now dead: nothing is
 * lost, the next check marks it in error, and the delete run again finds the key already dead.
 */
export async function deleteSession(
  deps: ResolvedDeps,
  phone: Phone,
  options: DeleteSessionOptions,
): Promise<DeleteSessionResult> {
  if (!(options.deadlineMs > 0)) throw new Error(`deadlineMs must be positive, not ${options.deadlineMs}.`);
  const startedAt = Date.now();
  const credentials = await deps.credentials();
  const owner = leaseOwner(options.actor);
  // LeaseHeldError goes to the caller: another job is using the key right now, and nothing has changed yet.
  const leased = await acquire(deps, phone, owner, options.deadlineMs);
  try {
    // A deleted row is leasable only while its logout is pending: it is deleted already.
    if (leased.status === "deleted") throw new IllegalTransitionError("deleted", "delete");
    if (options.expectedVersion !== undefined && leased.version !== options.expectedVersion) {
      throw new StaleVersionError(phone, options.expectedVersion, leased.version);
    }
    if (options.only && !options.only(leased)) return { outcome: "kept", session: leased };
    const revocation: RevocationOutcome = leased.hasSecret
      ? await logOutLeased(deps, leased, credentials.apiId, remaining(options.deadlineMs, startedAt))
      : { outcome: "already-dead", code: "NO_STORED_KEY" };
    const session = await deps.sessions.deleteWithRevocation(
      phone,
      attemptOf(revocation),
      leased,
      auditedOutcome(deps.audit, (r) => ({
        ...options.audit,
        phone,
        detail: [options.audit.detail, describeKeyRevocation(r, codeOf(revocation).code)]
          .filter(Boolean)
          .join("; "),
      })),
    );
    return { outcome: "deleted", session, revocation };
  } finally {
    await release(deps, phone, owner);
  }
}

/**
 * Tries the logout of a deleted session's key again (its tombstone is pending), under its lease, and records the
 * outcome with an audit entry in the same transaction (`session.logout`): settled, still pending, or, at or after the
 * give-up date, given up with the ciphertext destroyed and "never confirmed" in the record.
 */
export async function retryRevocation(
  deps: ResolvedDeps,
  phone: Phone,
  options: WithUserbotOptions,
): Promise<RetryRevocationResult> {
  if (!(options.deadlineMs > 0)) throw new Error(`deadlineMs must be positive, not ${options.deadlineMs}.`);
  const startedAt = Date.now();
  const current = await deps.sessions.get(phone);
  if (!current) throw new SessionNotFoundError(phone);
  if (current.status !== "deleted" || !isRevocationPending(current.revocation)) {
    throw new RevocationSettledError(
      current.status === "deleted" ? (current.revocation?.state ?? "none") : "none",
    );
  }
  const credentials = await deps.credentials();
  const owner = leaseOwner(options.actor);
  const leased = await acquire(deps, phone, owner, options.deadlineMs);
  try {
    const revocation = await logOutLeased(
      deps,
      leased,
      credentials.apiId,
      remaining(options.deadlineMs, startedAt),
    );
    const session = await deps.sessions.retryRevocation(
      leased,
      attemptOf(revocation),
      auditedOutcome(deps.audit, (next) => ({
        action: "session.logout",
        actor: options.actor,
        phone,
        detail: describeKeyRevocation(next, codeOf(revocation).code),
      })),
    );
    return { revocation, session };
  } finally {
    await release(deps, phone, owner);
  }
}

/**
 * Logs a replaced key out (the old key of a phone logged in again or imported over, kept in its own item while its
 * logout is pending) as who it was (its device and API id, through the phone's proxy if the session has one), and
 * records the outcome with a `session.logout` audit entry in the same transaction: settled (the item and its
 * ciphertext deleted), still pending, or given up at or after its give-up date. No lease: no row holds this key, so
 * nothing else uses it; two retries at once settle it once (the write is conditional on the attempts counted).
 * Throws `RevocationSettledError` when another retry settled or counted it meanwhile, or when the phone's session
 * holds this very key again (then the item is dropped and the key left alone).
 */
export async function retryReplacedKey(
  deps: ResolvedDeps,
  key: ReplacedKey,
  options: WithUserbotOptions,
): Promise<RetryReplacedKeyResult> {
  if (!(options.deadlineMs > 0)) throw new Error(`deadlineMs must be positive, not ${options.deadlineMs}.`);
  const credentials = await deps.credentials();
  let revocation: RevocationOutcome;
  let sessionString: string | undefined;
  try {
    sessionString = await deps.sessions.readReplacedKeyString(key);
  } catch (err) {
    if (!(err instanceof DecryptionError)) throw err;
    revocation = notConfirmed(
      "SESSION_UNREADABLE",
      "the replaced key could not be decrypted, so it was not logged out",
    );
  }
  const row = await deps.sessions.get(key.phone);
  if (
    sessionString !== undefined &&
    row?.hasSecret &&
    row.status !== "deleted" &&
    sameAuthKey(await deps.sessions.readSessionString(key.phone), sessionString)
  ) {
    // The phone's session holds this very key again (imported back meanwhile): it is live and in use, not replaced.
    // Logging it out would kill the session; the item is dropped instead, the key left alone.
    await deps.sessions.dropReplacedKey(key);
    deps.logger.info("Replaced key is the session's key again; its logout dropped", { phone: key.phone });
    throw new RevocationSettledError("none");
  }
  if (sessionString !== undefined) {
    const proxy =
      row?.proxy && row.status !== "deleted" ? await deps.sessions.readProxy(key.phone) : undefined;
    const secrets = proxy ? proxySecrets(proxy) : [];
    secrets.forEach(registerSecret);
    try {
      const identity = key.identity ?? { device: deps.defaultIdentity, apiId: credentials.apiId };
      revocation = await logOutWith(
        sessionString,
        await profileOf(deps, identity, proxy),
        deps.createClient,
        options.deadlineMs,
      );
    } finally {
      secrets.forEach(forgetSecret);
    }
  }
  const outcome = revocation!;
  deps.logger.info("Replaced key revocation", {
    phone: key.phone,
    replacedAt: key.replacedAt,
    outcome: outcome.outcome,
    ...codeOf(outcome),
  });
  const state = await deps.sessions.settleReplacedKey(
    key,
    attemptOf(outcome),
    auditedOutcome(deps.audit, (next) => ({
      action: "session.logout",
      actor: options.actor,
      phone: key.phone,
      detail: `replaced ${key.replacedAt}: ${describePreviousKey(next, codeOf(outcome).code)}`,
    })),
  );
  return { revocation: outcome, state };
}

/**
 * The `alsoPut` that records how a key's logout ended, in the same transaction as the outcome's write, when an audit
 * trail is wired (nothing otherwise).
 */
function auditedOutcome(
  audit: AuditLog | undefined,
  entry: (next: KeyRevocation) => Omit<AuditEntry, "at">,
): { alsoPut?: (next: KeyRevocation) => AuditPut } {
  return audit ? { alsoPut: (next) => audit.prepare(entry(next)).put } : {};
}

function leaseOwner(actor: string): string {
  return `${actor}#${randomBytes(4).toString("hex")}`;
}

function acquire(deps: ResolvedDeps, phone: Phone, owner: string, deadlineMs: number): Promise<Session> {
  return deps.sessions.acquireLease(phone, owner, deadlineMs + DESTROY_GRACE_MS + LEASE_MARGIN_MS);
}

/** Gives the lease back; a failure to do so is logged, not thrown: the lease expires on its own. */
async function release(deps: ResolvedDeps, phone: Phone, owner: string): Promise<void> {
  try {
    await deps.sessions.releaseLease(phone, owner);
  } catch (err) {
    deps.logger.warn("Could not release the lease after a revocation; it expires on its own", {
      phone,
      error: err instanceof Error ? err.name : String(err),
    });
  }
}

function remaining(deadlineMs: number, startedAt: number): number {
  return Math.max(1, deadlineMs - (Date.now() - startedAt));
}

/** The key of the leased row logged out, as who it is (its device, API id and proxy). Never throws for Telegram. */
async function logOutLeased(
  deps: ResolvedDeps,
  leased: Session,
  deploymentApiId: number,
  deadlineMs: number,
): Promise<RevocationOutcome> {
  const phone = leased.phone;
  let sessionString: string;
  try {
    sessionString = await deps.sessions.readSessionString(phone);
  } catch (err) {
    if (!(err instanceof DecryptionError)) throw err;
    // The key cannot be opened here, so it cannot be logged out from here either; it may still be alive there.
    return notConfirmed(
      "SESSION_UNREADABLE",
      "the stored session could not be decrypted, so it was not logged out",
    );
  }
  const proxy = leased.proxy ? await deps.sessions.readProxy(phone) : undefined;
  const secrets = proxy ? proxySecrets(proxy) : [];
  secrets.forEach(registerSecret);
  let outcome: RevocationOutcome;
  try {
    outcome = await logOutWith(
      sessionString,
      await profileOf(deps, identityOf(deps, leased, deploymentApiId), proxy),
      deps.createClient,
      deadlineMs,
    );
  } finally {
    secrets.forEach(forgetSecret);
  }
  deps.logger.info("Session key revocation", { phone, outcome: outcome.outcome, ...codeOf(outcome) });
  return outcome;
}

/** An outcome in the words the repository keeps. */
export function attemptOf(outcome: RevocationOutcome): RevocationAttempt {
  switch (outcome.outcome) {
    case "logged-out":
      return { confirmed: "logged-out" };
    case "already-dead":
      return { confirmed: "already-dead" };
    case "not-confirmed":
      return { notConfirmed: outcome.failure.message };
  }
}

/**
 * Logs out a key no row holds any more (the old key of a phone that was just logged in again or imported over):
 * no lease, since nothing else can take it. The caller must not keep `sessionString` beyond this call.
 */
export async function logOutKey(
  deps: ResolvedDeps,
  sessionString: string,
  options: {
    readonly deadlineMs: number;
    /** Who the key was (the replaced row's identity); default: a key made now. */
    readonly identity?: SessionIdentity;
  },
): Promise<RevocationOutcome> {
  if (!(options.deadlineMs > 0)) throw new Error(`deadlineMs must be positive, not ${options.deadlineMs}.`);
  const profile = await profileOf(deps, options.identity ?? (await newKeyIdentity(deps)));
  return logOutWith(sessionString, profile, deps.createClient, options.deadlineMs);
}

async function logOutWith(
  sessionString: string,
  profile: ConnectionProfile,
  createClient: CreateClient,
  deadlineMs: number,
): Promise<RevocationOutcome> {
  try {
    await runOneShot(
      sessionString,
      profile,
      async ({ client }) => {
        await client.invoke(new Api.auth.LogOut());
      },
      { createClient, deadlineMs },
    );
    return { outcome: "logged-out" };
  } catch (err) {
    return revocationOutcome(classifyError(err));
  }
}

function notConfirmed(code: string, detail: string): RevocationOutcome {
  return { outcome: "not-confirmed", failure: { kind: "transient", code, message: `${code}: ${detail}` } };
}

function codeOf(outcome: RevocationOutcome): { code?: string } {
  if (outcome.outcome === "already-dead") return { code: outcome.code };
  if (outcome.outcome === "not-confirmed") return { code: outcome.failure.code };
  return {};
}
