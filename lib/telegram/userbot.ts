/**
 * Using a stored session, the way SEED.md's best practices demand: only an `active` session, only under its lease
 * (one auth key on two connections kills it), and every failure written back: a dead key marks the session
 * `error` and paused at once; a flood wait is remembered; transient failures are counted and only a run of them
 * (`failureThreshold`, default 3) marks an error, with code CONSECUTIVE_FAILURES and the last failure in the
 * message. Success resets the count.
 */
import { randomBytes } from "node:crypto";
import { Api } from "telegram";
import { forgetSecret, registerSecret } from "../log";
import { proxySecrets } from "../sessions/proxy";
import { LeaseHeldError, SessionNotFoundError, StaleVersionError } from "../sessions/errors";
import type { Phone } from "../sessions/phone";
import type { SessionIdentity, SessionPatch } from "../sessions/repository";
import type { AccountFreeze, Session, TelegramAccount } from "../sessions/session";
import { readDevices, readFreeze, readTwoFa, type FreezeReading, type ReportedFreeze } from "./account-state";
import { newAuthorizations } from "./authorization-set";
import { DESTROY_GRACE_MS, runOneShot, type OpenUserbot } from "./client";
import type {
  AccountDevices,
  CheckOptions,
  CheckResult,
  ClassifiedFailure,
  NewLogins,
  TwoFaPosture,
} from "./contract";
import { profileOf, type ResolvedDeps } from "./deps";
import { classifyError, FloodWaitPendingError, SessionNotActiveError, UserbotFailedError } from "./errors";

/** Extra lease time beyond deadline + destroy, for clock skew between Lambdas. */
export const LEASE_MARGIN_MS = 30_000;

export interface WithUserbotOptions {
  /**
   * Hard limit on the whole use, in ms from the call: reads, lease, connect, job, write-back (the Lambda's remaining
   * time less a margin). Connect + job get what is left after the reads, less a reserve for writing back.
   */
  readonly deadlineMs: number;
  /** Who uses the session: "health-check:<run id>", "check-now:tg:<admin id>", "cli:<user>". */
  readonly actor: string;
}

export type UserbotJob<T> = (
  userbot: OpenUserbot & { readonly phone: Phone; readonly row: Session },
) => Promise<T>;

interface UseOptions<T> extends WithUserbotOptions {
  /** Bookkeeping to write with the success (the check records lastCheckedAt and the account). */
  readonly onSuccess?: (result: T) => SessionPatch;
  /**
   * The row the caller has just read (consistently), so it is not read a second time (the check reads it first to
   * skip a session it need not open). The lease re-reads what matters: the status under it is checked again.
   */
  readonly row?: Session;
}

/**
 * Runs `job` on the session of `phone`. Throws `SessionNotFoundError`, `SessionNotActiveError`,
 * `FloodWaitPendingError` or `LeaseHeldError` without connecting; `UserbotFailedError` when the job failed
 * (its `failure` says how, `markedError` whether the session is now `error`).
 */
export async function useSession<T>(
  deps: ResolvedDeps,
  phone: Phone,
  job: UserbotJob<T>,
  options: UseOptions<T>,
): Promise<T> {
  if (!(options.deadlineMs > 0)) throw new Error(`deadlineMs must be positive, not ${options.deadlineMs}.`);
  // Real elapsed time, not deps.now (a test may pin that clock).
  const startedAt = Date.now();
  const current = options.row ?? (await deps.sessions.require(phone));
  if (current.status !== "active") throw new SessionNotActiveError(phone, current.status, current.lastError);
  if (current.floodWaitUntil && current.floodWaitUntil > deps.now().toISOString()) {
    throw new FloodWaitPendingError(phone, current.floodWaitUntil);
  }
  // Asked before the lease: a missing API hash is a configuration problem, not the session's.
  const credentials = await deps.credentials();
  const owner = `${options.actor}#${randomBytes(4).toString("hex")}`;
  const leased = await deps.sessions.acquireLease(
    phone,
    owner,
    options.deadlineMs + DESTROY_GRACE_MS + LEASE_MARGIN_MS,
  );
  try {
    // The status may have changed between the read and the lease.
    if (leased.status !== "active") throw new SessionNotActiveError(phone, leased.status, leased.lastError);
    let result: T;
    let secrets: string[] = [];
    try {
      const sessionString = await deps.sessions.readSessionString(phone);
      const proxy = leased.proxy ? await deps.sessions.readProxy(phone) : undefined;
      secrets = proxy ? proxySecrets(proxy) : [];
      secrets.forEach(registerSecret);
      const profile = await profileOf(deps, identityOf(deps, leased, credentials.apiId), proxy);
      result = await runOneShot(
        sessionString,
        profile,
        (userbot) => job({ ...userbot, phone, row: leased }),
        {
          createClient: deps.createClient,
          deadlineMs: jobBudget(options.deadlineMs, startedAt),
        },
      );
    } catch (err) {
      throw await recordFailure(deps, leased, classifyError(err), options.actor, err);
    } finally {
      secrets.forEach(forgetSecret);
    }
    const patch: SessionPatch = {
      // A row older than identities keeps the one it was first presented with.
      ...(leased.identity && leased.apiId !== undefined
        ? {}
        : { identity: identityOf(deps, leased, credentials.apiId) }),
      ...(leased.consecutiveFailures > 0 ? { consecutiveFailures: 0 } : {}),
      ...(leased.floodWaitUntil ? { floodWaitUntil: null } : {}),
      ...options.onSuccess?.(result),
    };
    if (Object.keys(patch).length > 0) await writeBookkeeping(deps, leased, patch);
    return result;
  } finally {
    await deps.sessions.releaseLease(phone, owner);
  }
}

/**
 * Who a stored session is at Telegram: its own device and API id; a row older than these fields presents the default
 * device and the deployment's API id (`deploymentApiId`), as all sessions did before.
 */
export function identityOf(deps: ResolvedDeps, row: Session, deploymentApiId: number): SessionIdentity {
  return {
    device: row.identity ?? deps.defaultIdentity,
    apiId: row.apiId ?? deploymentApiId,
    ...(row.testServers ? { testServers: true } : {}),
  };
}

/** What is left of `deadlineMs` for connect + job, keeping a tenth (at most 2 s) for writing the outcome back. */
function jobBudget(deadlineMs: number, startedAt: number): number {
  const reserve = Math.min(2_000, deadlineMs / 10);
  return Math.max(1, deadlineMs - (Date.now() - startedAt) - reserve);
}

/** Writes what a failure means to the session row, logs it, and returns the error to throw. */
async function recordFailure(
  deps: ResolvedDeps,
  row: Session,
  failure: ClassifiedFailure,
  actor: string,
  cause: unknown,
): Promise<UserbotFailedError> {
  const phone = row.phone;
  switch (failure.kind) {
    case "dead":
    case "account-gone": {
      // Powertools stamps every line with `timestamp`: this is SEED.md's { phone, error, code, timestamp }.
      deps.logger.error("Session auth failed", { phone, error: failure.message, code: failure.code });
      const marked = await markError(deps, row, failure, actor);
      return new UserbotFailedError(phone, failure, marked ?? row, marked !== undefined, { cause });
    }
    case "flood": {
      const until = new Date(deps.now().getTime() + (failure.seconds ?? 0) * 1000).toISOString();
      deps.logger.warn("Session in flood wait", {
        phone,
        code: failure.code,
        seconds: failure.seconds,
        until,
      });
      const updated = await writeBookkeeping(deps, row, { floodWaitUntil: until });
      return new UserbotFailedError(phone, failure, updated, false, { cause });
    }
    case "transient": {
      const failures = row.consecutiveFailures + 1;
      deps.logger.warn("Session use failed", { phone, error: failure.message, code: failure.code, failures });
      if (failures >= deps.failureThreshold) {
        const run: ClassifiedFailure = {
          kind: "transient",
          code: "CONSECUTIVE_FAILURES",
          message:
            `CONSECUTIVE_FAILURES: ${failures} ${failures === 1 ? "failure" : "failures in a row"}, the last ${failure.message}. ` +
            "If Telegram and the network are up, log this session in again",
        };
        deps.logger.error("Session failed", { phone, error: run.message, code: run.code });
        const marked = await markError(deps, row, run, actor);
        return new UserbotFailedError(phone, run, marked ?? row, marked !== undefined, { cause });
      }
      const updated = await writeBookkeeping(deps, row, { consecutiveFailures: failures });
      return new UserbotFailedError(phone, failure, updated, false, { cause });
    }
    case "frozen": {
      // The key works; the account is restricted. Not a failure of the session: never counted, never marked error.
      deps.logger.warn("Session account frozen", { phone, code: failure.code });
      const updated = await writeBookkeeping(deps, row, {
        frozen: row.frozen ?? { detectedAt: deps.now().toISOString() },
        ...(row.consecutiveFailures > 0 ? { consecutiveFailures: 0 } : {}),
      });
      return new UserbotFailedError(phone, failure, updated, false, { cause });
    }
    case "other":
      // Not the session's fault as far as we can tell (a bug, an unexpected refusal): reported, not counted.
      deps.logger.error("Session use failed unexpectedly", {
        phone,
        error: failure.message,
        code: failure.code,
        detail: cause instanceof Error ? cause.message : String(cause),
      });
      return new UserbotFailedError(phone, failure, row, false, { cause });
  }
}

/**
 * `markError` on the version this use read, so a session logged in again meanwhile (new key, new version) is never
 * marked dead by the failure of its old key.
 */
async function markError(
  deps: ResolvedDeps,
  row: Session,
  failure: ClassifiedFailure,
  actor: string,
): Promise<Session | undefined> {
  try {
    const marked = await deps.sessions.markError(
      row.phone,
      { message: failure.message, code: failure.code },
      row,
    );
    await deps.audit?.record({ action: "session.failed", actor, phone: row.phone, detail: failure.message });
    return marked;
  } catch (err) {
    if (!(err instanceof StaleVersionError)) throw err;
    deps.logger.warn("Session changed while in use; its failure was not recorded", { phone: row.phone });
    return undefined;
  }
}

async function writeBookkeeping(deps: ResolvedDeps, row: Session, patch: SessionPatch): Promise<Session> {
  try {
    return await deps.sessions.recordCheck(row.phone, row.version, patch);
  } catch (err) {
    if (!(err instanceof StaleVersionError)) throw err;
    deps.logger.warn("Session changed while in use; its check was not recorded", { phone: row.phone });
    return row;
  }
}

/** getMe through the session: `users.GetUsers([InputUserSelf])`, as Telegram's errors name it. */
export async function getSelf(userbot: OpenUserbot): Promise<Api.User> {
  const users = await userbot.client.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }));
  const me = users[0];
  if (!(me instanceof Api.User)) throw new Error("Telegram returned no user for this session.");
  return me;
}

export async function getMe(userbot: OpenUserbot): Promise<TelegramAccount> {
  return accountOf(await getSelf(userbot));
}

export function accountOf(user: Api.User): TelegramAccount {
  return {
    userId: user.id.toString(),
    ...(user.username ? { username: user.username } : {}),
    ...(user.firstName ? { firstName: user.firstName } : {}),
    ...(user.lastName ? { lastName: user.lastName } : {}),
  };
}

/** What one check read through the session: getMe's answer and what getMe cannot see. */
interface CheckReading {
  readonly account: TelegramAccount;
  readonly freeze: FreezeReading;
  /** Undefined when the read failed: the row keeps what it had, and nothing is reported new. */
  readonly devices?: AccountDevices;
  readonly twoFa?: TwoFaPosture;
  readonly newLogins?: NewLogins;
  /** The data centre the key lives on, as this connection reached it. */
  readonly dcId?: number;
}

/** A read beside getMe that must never fail the check: its failure is logged (by code) and leaves it unknown. */
async function optional<T>(deps: ResolvedDeps, phone: Phone, what: string, read: Promise<T>) {
  try {
    return await read;
  } catch (err) {
    deps.logger.warn("Session account state not read", { phone, what, code: classifyError(err).code });
    return undefined;
  }
}

/**
 * getMe, then on the same connection at once: the app config (a freeze), the authorizations (who else is logged in,
 * and the TTL) and the 2FA posture. The last is the only call the daily check added for issue 16: the
 * authorizations were already read for their TTL.
 */
function readAccount(deps: ResolvedDeps): UserbotJob<CheckReading> {
  return async (userbot) => {
    const account = await getMe(userbot);
    const [freeze, devices, twoFa] = await Promise.all([
      readFreeze(userbot),
      optional(deps, userbot.phone, "authorizations", readDevices(userbot, deps.now())),
      optional(deps, userbot.phone, "2fa", readTwoFa(userbot)),
    ]);
    // Against the row read under the lease: two checks never diff against the same fingerprint.
    const added = devices ? newAuthorizations(userbot.row.authorizations?.fingerprint, devices) : [];
    const dcId = userbot.session.dcId;
    return {
      account,
      freeze,
      ...(Number.isInteger(dcId) && dcId > 0 ? { dcId } : {}),
      ...(devices ? { devices } : {}),
      ...(twoFa ? { twoFa } : {}),
      ...(added.length > 0
        ? {
            newLogins: {
              authorizations: added,
              ...(devices?.endOthersPossibleFrom
                ? { endOthersPossibleFrom: devices.endOthersPossibleFrom }
                : {}),
            },
          }
        : {}),
    };
  };
}

/**
 * The health check of one session (and the admin's "check now"): getMe, then the account's freeze, its
 * authorizations (a new login since the last check is reported once) and its 2FA posture. Never throws for a
 * Telegram failure.
 */
export async function checkSession(
  deps: ResolvedDeps,
  phone: Phone,
  options: CheckOptions,
): Promise<CheckResult> {
  const row = await deps.sessions.get(phone);
  if (!row || row.status === "deleted") return { outcome: "skipped", phone, reason: "not-found" };
  if (row.status !== "active") return { outcome: "skipped", phone, reason: "not-active" };
  if (row.leaseUntil && row.leaseUntil > deps.now().toISOString()) {
    return { outcome: "skipped", phone, reason: "leased" };
  }
  const freezeFound = (reported: ReportedFreeze): AccountFreeze => ({
    // Telegram's dates are its own; when we first saw it is ours, kept across checks.
    detectedAt: row.frozen?.detectedAt ?? deps.now().toISOString(),
    ...reported,
  });
  try {
    const reading = await useSession(deps, phone, readAccount(deps), {
      ...options,
      row,
      onSuccess: (r) => {
        const at = deps.now().toISOString();
        return {
          account: r.account,
          lastCheckedAt: at,
          consecutiveFailures: 0,
          ...(r.freeze.state === "frozen"
            ? { frozen: freezeFound(r.freeze.freeze) }
            : r.freeze.state === "not-frozen" && row.frozen
              ? { frozen: null }
              : {}),
          ...(r.devices?.ttlDays !== undefined ? { authorizationTtlDays: r.devices.ttlDays } : {}),
          ...(r.devices ? { authorizations: { fingerprint: r.devices.fingerprint, checkedAt: at } } : {}),
          ...(r.twoFa ? { twoFa: { hasPassword: r.twoFa.hasPassword, checkedAt: at } } : {}),
          ...(r.dcId !== undefined && r.dcId !== row.dcId ? { dcId: r.dcId } : {}),
        };
      },
    });
    const { account, freeze, newLogins } = reading;
    if (freeze.state === "unknown" && freeze.failure) {
      deps.logger.warn("Session freeze not read", { phone, code: freeze.failure.code });
    }
    for (const a of newLogins?.authorizations ?? []) {
      deps.logger.warn("Session new login", {
        phone,
        hash: a.hash,
        device: a.deviceModel,
        app: `${a.appName} ${a.appVersion}`.trim(),
        country: a.country,
        officialApp: a.officialApp,
      });
    }
    const news = newLogins ? { newLogins } : {};
    if (freeze.state === "frozen") {
      const found = freezeFound(freeze.freeze);
      deps.logger.warn("Session account frozen", {
        phone,
        userId: account.userId,
        ...(found.until ? { until: found.until } : {}),
        ...(found.appealUrl ? { appealUrl: found.appealUrl } : {}),
      });
      return { outcome: "frozen", phone, account, freeze: found, newlyFrozen: !row.frozen, ...news };
    }
    if (row.frozen && freeze.state === "not-frozen")
      deps.logger.info("Session account no longer frozen", { phone });
    deps.logger.info("Session OK", { phone, userId: account.userId });
    return { outcome: "healthy", phone, account, ...news };
  } catch (err) {
    return checkFailure(phone, err, row);
  }
}

function checkFailure(phone: Phone, err: unknown, before: Session): CheckResult {
  if (err instanceof UserbotFailedError) {
    if (err.markedError) return { outcome: "failed", phone, failure: err.failure };
    if (err.failure.kind === "flood") {
      return { outcome: "flood-wait", phone, until: err.session?.floodWaitUntil ?? new Date().toISOString() };
    }
    if (err.failure.kind === "frozen") {
      const freeze = err.session?.frozen ?? { detectedAt: new Date().toISOString() };
      return { outcome: "frozen", phone, freeze, newlyFrozen: !before.frozen };
    }
    if (err.failure.kind === "dead" || err.failure.kind === "account-gone") {
      // Dead, but the row changed meanwhile (a new login): nothing was marked.
      return { outcome: "failed", phone, failure: err.failure };
    }
    return {
      outcome: "transient",
      phone,
      failure: err.failure,
      failures: err.session?.consecutiveFailures ?? 0,
    };
  }
  if (err instanceof SessionNotActiveError) return { outcome: "skipped", phone, reason: "not-active" };
  if (err instanceof FloodWaitPendingError) return { outcome: "skipped", phone, reason: "flood-wait" };
  if (err instanceof LeaseHeldError) return { outcome: "skipped", phone, reason: "leased" };
  if (err instanceof SessionNotFoundError) return { outcome: "skipped", phone, reason: "not-found" };
  throw err;
}
