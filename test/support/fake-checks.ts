/**
 * A scripted `UserbotService` for the job tests until the real userbot layer is merged. It keeps the contract's
 * promises through the REAL `SessionRepository` on DynamoDB Local: the status and flood-wait gates, the lease
 * (acquireLease / releaseLease, so "leased by another invocation" is a real conditional write), and the result on
 * the row (recordCheck for healthy / flood / transient, markError for dead). Only Telegram's answer is scripted.
 * `connections` counts the (pretend) connections per phone, to prove a leased session was never connected.
 */
import type { Logger } from "../../lib/log";
import { LeaseHeldError, SessionNotFoundError, type Phone, type SessionRepository } from "../../lib/sessions";
import type {
  CheckOptions,
  CheckResult,
  ClassifiedFailure,
  UserbotService,
} from "../../lib/telegram/contract";

/** What Telegram (or the network) answers getMe for a phone. */
export type ScriptedAnswer =
  | { readonly answer: "ok"; readonly userId: string; readonly username?: string }
  | { readonly answer: "rpc-error"; readonly code: string; readonly seconds?: number }
  | { readonly answer: "timeout" }
  /** Something broke in our code or AWS (not Telegram): checkSession throws. */
  | { readonly answer: "crash"; readonly message: string };

/** Transient failures in a row that mark a session `error` (the userbot layer's rule). */
export const FAILURES_BEFORE_ERROR = 3;

const DEAD = new Set(["AUTH_KEY_UNREGISTERED", "SESSION_REVOKED", "SESSION_EXPIRED", "AUTH_KEY_DUPLICATED"]);
const GONE = new Set(["USER_DEACTIVATED", "USER_DEACTIVATED_BAN"]);

function classify(
  answer: Exclude<ScriptedAnswer, { answer: "ok" } | { answer: "crash" }>,
): ClassifiedFailure {
  if (answer.answer === "timeout") {
    return {
      kind: "transient",
      code: "TIMEOUT",
      message: "TIMEOUT: Telegram did not answer in time; retried next run",
    };
  }
  if (DEAD.has(answer.code)) {
    return {
      kind: "dead",
      code: answer.code,
      message: `${answer.code}: session expired or revoked; log in again`,
    };
  }
  if (GONE.has(answer.code)) {
    return {
      kind: "account-gone",
      code: answer.code,
      message: `${answer.code}: the Telegram account is deactivated`,
    };
  }
  if (answer.code === "FLOOD_WAIT") {
    return { kind: "flood", code: "FLOOD_WAIT", message: "FLOOD_WAIT", seconds: answer.seconds ?? 60 };
  }
  return { kind: "other", code: answer.code, message: answer.code };
}

export class FakeUserbots implements UserbotService {
  readonly connections = new Map<Phone, number>();
  /** Every call, with the options it got (the deadline the worker computed). */
  readonly calls: { phone: Phone; options: CheckOptions }[] = [];
  /** The most checks that were in flight at once. */
  maxInFlight = 0;
  private inFlight = 0;
  /** The sessions being checked right now. */
  readonly checking = new Set<Phone>();
  /** Called as each check starts, with the sessions in flight (this one included). */
  onStart?: (checking: ReadonlySet<Phone>) => void;
  /** How long each check holds its connection, ms (0: as fast as DynamoDB answers). */
  holdMs = 0;
  private readonly script = new Map<Phone, ScriptedAnswer>();
  private leaseSeq = 0;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly now: () => Date,
    /** Where "Session OK" goes, as the real layer logs it. */
    private readonly logger?: Logger,
  ) {}

  answer(phone: Phone, answer: ScriptedAnswer): this {
    this.script.set(phone, answer);
    return this;
  }

  async checkSession(phone: Phone, options: CheckOptions): Promise<CheckResult> {
    this.calls.push({ phone, options });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.checking.add(phone);
    this.onStart?.(this.checking);
    try {
      if (this.holdMs > 0) await new Promise((resolve) => setTimeout(resolve, this.holdMs));
      return await this.check(phone, options);
    } finally {
      this.inFlight -= 1;
      this.checking.delete(phone);
    }
  }

  private async check(phone: Phone, options: CheckOptions): Promise<CheckResult> {
    const session = await this.sessions.get(phone);
    if (!session || session.status === "deleted") return { outcome: "skipped", phone, reason: "not-found" };
    if (session.status !== "active") return { outcome: "skipped", phone, reason: "not-active" };
    if (session.floodWaitUntil && session.floodWaitUntil > this.now().toISOString()) {
      return { outcome: "skipped", phone, reason: "flood-wait" };
    }
    const owner = `${options.actor}#${++this.leaseSeq}`;
    let leased;
    try {
      leased = await this.sessions.acquireLease(phone, owner, options.deadlineMs + 10_000);
    } catch (err) {
      if (err instanceof LeaseHeldError) return { outcome: "skipped", phone, reason: "leased" };
      if (err instanceof SessionNotFoundError) return { outcome: "skipped", phone, reason: "not-found" };
      throw err;
    }
    try {
      const answer = this.script.get(phone) ?? { answer: "ok", userId: "1" };
      if (answer.answer === "crash") throw new Error(answer.message);
      this.connections.set(phone, (this.connections.get(phone) ?? 0) + 1);
      const at = this.now();
      if (answer.answer === "ok") {
        const account = { userId: answer.userId, ...(answer.username ? { username: answer.username } : {}) };
        await this.sessions.recordCheck(phone, leased.version, {
          account,
          lastCheckedAt: at.toISOString(),
          consecutiveFailures: 0,
          floodWaitUntil: null,
        });
        this.logger?.info("Session OK", { phone, userId: account.userId });
        return { outcome: "healthy", phone, account };
      }
      const failure = classify(answer);
      if (failure.kind === "dead" || failure.kind === "account-gone" || failure.kind === "other") {
        await this.sessions.markError(phone, failure, leased.version);
        return { outcome: "failed", phone, failure };
      }
      if (failure.kind === "flood") {
        const until = new Date(at.getTime() + (failure.seconds ?? 60) * 1000).toISOString();
        await this.sessions.recordCheck(phone, leased.version, {
          lastCheckedAt: at.toISOString(),
          floodWaitUntil: until,
        });
        return { outcome: "flood-wait", phone, until };
      }
      const failures = leased.consecutiveFailures + 1;
      if (failures >= FAILURES_BEFORE_ERROR) {
        const final: ClassifiedFailure = {
          kind: "transient",
          code: "CONSECUTIVE_FAILURES",
          message: `CONSECUTIVE_FAILURES: ${failures} checks in a row failed (last: ${failure.message})`,
        };
        await this.sessions.markError(phone, final, leased.version);
        return { outcome: "failed", phone, failure: final };
      }
      await this.sessions.recordCheck(phone, leased.version, {
        lastCheckedAt: at.toISOString(),
        consecutiveFailures: failures,
      });
      return { outcome: "transient", phone, failure, failures };
    } finally {
      await this.sessions.releaseLease(phone, owner);
    }
  }

  importSession(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not import sessions."));
  }

  // The job tests never reach these; the loopback DC tests cover them on the real layer.
  revokeSession(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not revoke sessions."));
  }
  deleteSession(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not delete sessions."));
  }
  retryRevocation(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not retry revocations."));
  }
  retryReplacedKey(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not retry revocations."));
  }
  listDevices(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not list devices."));
  }
  endDevice(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not end devices."));
  }
  endOtherDevices(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not end devices."));
  }
  twoFaPosture(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not read 2FA."));
  }
  setTwoFaPassword(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not set 2FA."));
  }
  checkRestriction(): Promise<never> {
    return Promise.reject(new Error("FakeUserbots does not ask @SpamBot."));
  }
}
