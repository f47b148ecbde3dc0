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
import { DecryptionError } from "../crypto/envelope";
import { LeaseHeldError } from "../sessions/errors";
import type { Phone } from "../sessions/phone";
import { forgetSecret, registerSecret } from "../log";
import { proxySecrets } from "../sessions/proxy";
import type { SessionIdentity } from "../sessions/repository";
import type { Session } from "../sessions/session";
import { DESTROY_GRACE_MS, runOneShot, type CreateClient } from "./client";
import type { ConnectionProfile } from "./connection";
import type { ClassifiedFailure, RevocationOutcome } from "./contract";
import { newKeyIdentity, profileOf, type ResolvedDeps } from "./deps";
import { classifyError } from "./errors";
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
  const owner = `${options.actor}#${randomBytes(4).toString("hex")}`;
  let leased: Session;
  try {
    leased = await deps.sessions.acquireLease(
      phone,
      owner,
      options.deadlineMs + DESTROY_GRACE_MS + LEASE_MARGIN_MS,
    );
  } catch (err) {
    if (!(err instanceof LeaseHeldError)) throw err;
    return notConfirmed(
      "LEASE_HELD",
      `another job is using this session until ${err.until}; the logout is tried again later`,
    );
  }
  try {
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
    // The key logs out as who it is: its own device, API id and proxy, like every connection of the session.
    const proxy = leased.proxy ? await deps.sessions.readProxy(phone) : undefined;
    const secrets = proxy ? proxySecrets(proxy) : [];
    secrets.forEach(registerSecret);
    let outcome: RevocationOutcome;
    try {
      outcome = await logOutWith(
        sessionString,
        await profileOf(deps, identityOf(deps, leased, credentials.apiId), proxy),
        deps.createClient,
        Math.max(1, options.deadlineMs - (Date.now() - startedAt)),
      );
    } finally {
      secrets.forEach(forgetSecret);
    }
    deps.logger.info("Session key revocation", { phone, outcome: outcome.outcome, ...codeOf(outcome) });
    return outcome;
  } finally {
    await deps.sessions.releaseLease(phone, owner);
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
