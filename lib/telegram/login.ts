/**
 * The stateless login: `startLogin` sends the code, `submitCode` signs in (or moves to the password step),
 * `submitPassword` finishes a 2FA login. Each step is a separate call with its own client, possibly in another
 * process: what carries over is the temporary session string (the same auth key, which Telegram ties the code to)
 * and the phoneCodeHash, both in the encrypted login flow (`lib/bot-state/login-flows.ts`).
 *
 * A phone that already has a session keeps it until the new login has succeeded: only then does the shared
 * "signed in → stored" step (`signed-in.ts`) give it the new key. A failed login touches nothing in the sessions table.
 *
 * Once Telegram has accepted the code or the password, its key cannot be signed in again (the code is spent, the
 * SRP parameters are single-use), so that success must not depend on the writes that follow. The step, still
 * holding its claim, first marks the flow signed in (the signed-in session and the account, in the encrypted
 * secret); that conditional write is also where a login cancelled or restarted meanwhile is noticed (then the key
 * is logged out and nothing is stored). Then the session is stored, and the flow ends in one transaction with the
 * audit entry. If a write after the mark fails, any later step of the same login (the code, the password, or a new
 * start for the phone) finishes the storing from the mark, without asking Telegram anything.
 */
import { Api } from "telegram";
import { FloodWaitError, RPCError } from "telegram/errors";
import { computeCheck } from "telegram/Password";
import { forgetSecret, redactText, registerSecret } from "../log";
import type { Phone } from "../sessions/phone";
import { proxySecrets, type ProxySettings } from "../sessions/proxy";
import type { TelegramAccount } from "../sessions/session";
import { runOneShot, type OpenUserbot } from "./client";
import type { CodeDelivery, LoginFlowView, LoginOutcome, LoginService, PreviousKeyOutcome } from "./contract";
import { newKeyIdentity, profileOf, type ResolvedDeps } from "./deps";
import { classifyError } from "./errors";
import {
  FlowBusyError,
  FlowHeldError,
  LoginFlowStore,
  type FlowRef,
  type FlowSecret,
  type SignedIn,
  type StoredFlow,
} from "../bot-state/login-flows";
import {
  describePreviousKeyOutcome,
  holds,
  KeyNotStoredError,
  storeSignedIn,
  type SignedInKey,
} from "./signed-in";
import { accountOf, getMe } from "./userbot";

/** How long a login Telegram accepted, but whose session is not stored yet, waits for a step to finish it. */
export const SIGNED_IN_KEEP_MS = 24 * 3600_000;

/** Hard limit on one login step (connect + Telegram calls); the AdminBot's Lambda has 30 s. */
export const LOGIN_STEP_DEADLINE_MS = 20_000;

/**
 * Telegram's "too many login attempts" errors (PHONE_NUMBER_FLOOD, PHONE_PASSWORD_FLOOD) say no time. Its login
 * limit is per day, so a day is the honest wait to show.
 */
const LOGIN_FLOOD_SECONDS = 86_400;

export type StepFailure =
  | { readonly kind: "wrong-code" }
  | { readonly kind: "wrong-password" }
  | { readonly kind: "password-needed" }
  | Exclude<
      LoginOutcome,
      {
        kind:
          | "code-sent"
          | "password-needed"
          | "logged-in"
          | "wrong-code"
          | "wrong-password"
          | "no-flow"
          | "flow-held";
      }
    >;

/** Telegram's login errors by name, each to its own outcome. */
const LOGIN_ERRORS: Readonly<Record<string, StepFailure>> = {
  PHONE_NUMBER_INVALID: { kind: "invalid-phone" },
  PHONE_NUMBER_BANNED: { kind: "phone-banned" },
  USER_DEACTIVATED_BAN: { kind: "phone-banned" },
  PHONE_NUMBER_UNOCCUPIED: { kind: "no-account" },
  PHONE_CODE_INVALID: { kind: "wrong-code" },
  PHONE_CODE_EMPTY: { kind: "wrong-code" },
  PHONE_CODE_EXPIRED: { kind: "code-expired" },
  PHONE_CODE_HASH_EMPTY: { kind: "code-expired" },
  // The temporary key was forgotten by Telegram: only a new login helps.
  AUTH_KEY_UNREGISTERED: { kind: "code-expired" },
  PASSWORD_HASH_INVALID: { kind: "wrong-password" },
  SESSION_PASSWORD_NEEDED: { kind: "password-needed" },
  API_ID_INVALID: { kind: "api-credentials-invalid" },
  API_ID_PUBLISHED_FLOOD: { kind: "api-credentials-invalid" },
  PHONE_NUMBER_FLOOD: { kind: "flood-wait", seconds: LOGIN_FLOOD_SECONDS },
  PHONE_PASSWORD_FLOOD: { kind: "flood-wait", seconds: LOGIN_FLOOD_SECONDS },
};

export function loginFailure(err: unknown): StepFailure {
  if (err instanceof FloodWaitError) return { kind: "flood-wait", seconds: err.seconds };
  if (err instanceof RPCError) {
    const known = LOGIN_ERRORS[err.errorMessage];
    if (known) return known;
  }
  const failure = classifyError(err);
  const message =
    failure.kind === "transient" || failure.kind === "flood"
      ? `Telegram could not be reached or did not answer (${failure.code}); try again in a minute.`
      : `Telegram refused this step (${failure.code}); start the login again, and if it repeats, check the logs.`;
  return { kind: "unavailable", message: redactText(message) };
}

/** Outcomes after which the flow is over. */
const ENDS_FLOW = new Set<StepFailure["kind"]>([
  "code-expired",
  "invalid-phone",
  "phone-banned",
  "no-account",
]);

function codeDelivery(type: Api.auth.TypeSentCodeType): CodeDelivery {
  if (type instanceof Api.auth.SentCodeTypeApp) return "app";
  if (
    type instanceof Api.auth.SentCodeTypeSms ||
    type instanceof Api.auth.SentCodeTypeSmsWord ||
    type instanceof Api.auth.SentCodeTypeSmsPhrase ||
    type instanceof Api.auth.SentCodeTypeFirebaseSms ||
    type instanceof Api.auth.SentCodeTypeFragmentSms
  ) {
    return "sms";
  }
  if (type instanceof Api.auth.SentCodeTypeCall) return "call";
  if (type instanceof Api.auth.SentCodeTypeFlashCall || type instanceof Api.auth.SentCodeTypeMissedCall) {
    return "flash-call";
  }
  if (type instanceof Api.auth.SentCodeTypeEmailCode) return "email";
  return "other";
}

function codeLength(type: Api.auth.TypeSentCodeType): number | undefined {
  const length = (type as { length?: unknown }).length;
  return typeof length === "number" && length > 0 ? length : undefined;
}

/** What a step did with Telegram, before anything is written. */
export type StepResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: StepFailure };

/**
 * Runs one login step's Telegram calls on a one-shot client (on `session`, "" for a new key) under `deadlineMs`,
 * turning Telegram's refusals into step failures (`loginFailure`). With `proxy`, the connection goes through it.
 */
export async function loginStep<T>(
  deps: ResolvedDeps,
  deadlineMs: number,
  session: string,
  job: (userbot: OpenUserbot) => Promise<T>,
  proxy?: ProxySettings,
): Promise<StepResult<T>> {
  const profile = await profileOf(deps, await newKeyIdentity(deps), proxy);
  // The proxy's credentials are masked in every line this step logs (GramJS's own included).
  const secrets = proxy ? proxySecrets(proxy) : [];
  secrets.forEach(registerSecret);
  try {
    return {
      ok: true,
      value: await runOneShot(session, profile, job, { createClient: deps.createClient, deadlineMs }),
    };
  } catch (err) {
    return { ok: false, failure: loginFailure(err) };
  } finally {
    secrets.forEach(forgetSecret);
  }
}

/** What a code or password step got from Telegram: a signed-in key and its account, or no account to sign in. */
type Signed =
  | { readonly kind: "signed-in"; readonly session: string; readonly account: TelegramAccount }
  | { readonly kind: "no-account" };

/** A flow whose login Telegram has completed. */
type SignedInFlow = StoredFlow & { readonly secret: FlowSecret & { readonly signedIn: SignedIn } };

function isSignedIn(stored: StoredFlow): stored is SignedInFlow {
  return stored.secret.signedIn !== undefined;
}

/** The error's class name, for logs and messages (never its text, which could quote a request). */
function nameOf(err: unknown): string {
  return err instanceof Error ? err.name : "Error";
}

export class StatelessLogin implements LoginService {
  private readonly flows: LoginFlowStore;

  constructor(
    private readonly deps: ResolvedDeps,
    private readonly deadlineMs: number = LOGIN_STEP_DEADLINE_MS,
  ) {
    this.flows = new LoginFlowStore(deps);
  }

  async startLogin(
    phone: Phone,
    startedBy: string,
    options: { readonly takeOver?: boolean; readonly proxy?: ProxySettings } = {},
  ): Promise<LoginOutcome> {
    // A login of this phone that Telegram completed but whose session was not stored: finished, not started anew.
    // (A flow that cannot be read is replaced by the new one, as any earlier flow is.)
    const earlier = await this.flows.get(phone).catch((err: unknown) => {
      this.deps.logger.warn("Earlier login flow not readable; starting anew", { phone, error: nameOf(err) });
      return undefined;
    });
    if (earlier && isSignedIn(earlier)) return this.resume(earlier);
    // Another admin's login of this phone is theirs until it ends: refused before Telegram sends a code, unless
    // taken over explicitly (an owner's confirmed choice in the bot).
    const other = earlier && earlier.view.startedBy !== startedBy ? earlier : undefined;
    if (other && !options.takeOver) {
      this.deps.logger.info("Login refused: another actor's login of the phone is in progress", {
        phone,
        startedBy,
        heldBy: other.view.startedBy,
      });
      return { kind: "flow-held", flow: other.view };
    }
    const credentials = await this.deps.credentials();
    const existing = await this.deps.sessions.get(phone);
    const replacesExisting = existing !== undefined && existing.status !== "deleted";
    // Every connection of this login goes through the proxy asked for, else through the one the phone's session
    // already uses (a new key of that account shows Telegram the same address as the key it replaces). It is kept
    // in the encrypted flow for the later steps, and stored with the session.
    const proxy =
      options.proxy ??
      (replacesExisting && existing.proxy ? await this.deps.sessions.readProxy(phone) : undefined);
    const step = await this.telegram(
      "",
      async (userbot) => {
        const sent = await userbot.client.invoke(
          new Api.auth.SendCode({
            phoneNumber: phone,
            apiId: credentials.apiId,
            apiHash: credentials.apiHash,
            settings: new Api.CodeSettings({}),
          }),
        );
        // Read after SendCode: a PHONE_MIGRATE inside it moved the client to another DC with a new key.
        const session = userbot.session.save();
        if (sent instanceof Api.auth.SentCodeSuccess) {
          // Telegram logged in at once (a future auth token): stored once the client is closed.
          return {
            loggedIn: true,
            session,
            account: await accountOfAuthorization(userbot, sent.authorization),
          } as const;
        }
        return { loggedIn: false, sent, session } as const;
      },
      proxy,
    );
    if (!step.ok) {
      this.deps.logger.info("Login not started", { phone, outcome: step.failure.kind });
      return this.publicOutcome(step.failure, undefined);
    }
    if (step.value.loggedIn) {
      // No flow holds this key: stored, or logged out (`storeLogin`).
      const key = {
        phone,
        sessionString: step.value.session,
        account: step.value.account,
        identity: await newKeyIdentity(this.deps),
        ...(proxy ? { proxy } : {}),
      };
      return storeLogin(this.deps, key, startedBy, (session) => this.logOut(session, proxy));
    }
    const { sent, session } = step.value;
    const length = codeLength(sent.type);
    let flow: LoginFlowView;
    try {
      flow = await this.flows.start(
        {
          phone,
          startedBy,
          replacesExisting,
          codeDelivery: codeDelivery(sent.type),
          ...(length ? { codeLength: length } : {}),
        },
        { session, phoneCodeHash: sent.phoneCodeHash, ...(proxy ? { proxy } : {}) },
        other,
      );
    } catch (err) {
      if (!(err instanceof FlowHeldError)) throw err;
      // Another actor started a login of this phone meanwhile: theirs stays, and this code's key is ended.
      await this.logOut(session, proxy);
      this.deps.logger.info("Login refused: another actor's login of the phone started meanwhile", {
        phone,
        startedBy,
        heldBy: err.held.startedBy,
      });
      return { kind: "flow-held", flow: err.held };
    }
    if (other) {
      // The replaced login's temporary key would otherwise stay registered at Telegram with nobody holding it.
      await this.logOut(other.secret.session, other.secret.proxy);
      this.deps.logger.info("Login taken over", { phone, startedBy, from: other.view.startedBy });
    }
    this.deps.logger.info("Login code sent", { phone, delivery: flow.codeDelivery, startedBy });
    return { kind: "code-sent", flow, ...(other ? { tookOverFrom: other.view.startedBy } : {}) };
  }

  async submitCode(phone: Phone, text: string, actor?: string): Promise<LoginOutcome> {
    // Codes are asked for with separators ("1 2 3 4 5"): Telegram blocks a code typed into a chat as it is.
    const code = text.replace(/\D/g, "");
    const stored = await this.flows.get(phone);
    if (!stored) return { kind: "no-flow" };
    if (actor !== undefined && stored.view.startedBy !== actor)
      return { kind: "flow-held", flow: stored.view };
    // Telegram took this login's code (or password) already; what is left is storing it.
    if (isSignedIn(stored)) return this.resume(stored);
    if (stored.view.step === "password") return { kind: "password-needed", flow: stored.view };
    const expected = stored.view.codeLength;
    if (code.length < 4 || code.length > 10 || (expected !== undefined && code.length !== expected)) {
      // Not a code at all: no attempt spent, Telegram not asked.
      return { kind: "wrong-code", flow: stored.view };
    }
    return this.step(stored, code, async (userbot): Promise<Signed> => {
      const auth = await userbot.client.invoke(
        new Api.auth.SignIn({
          phoneNumber: phone,
          phoneCodeHash: stored.secret.phoneCodeHash,
          phoneCode: code,
        }),
      );
      if (auth instanceof Api.auth.AuthorizationSignUpRequired) return { kind: "no-account" };
      return signedIn(userbot, auth);
    });
  }

  async submitPassword(phone: Phone, password: string, actor?: string): Promise<LoginOutcome> {
    const stored = await this.flows.get(phone);
    if (!stored) return { kind: "no-flow" };
    if (actor !== undefined && stored.view.startedBy !== actor)
      return { kind: "flow-held", flow: stored.view };
    if (isSignedIn(stored)) return this.resume(stored);
    if (stored.view.step === "code") return { kind: "code-sent", flow: stored.view };
    if (password.length === 0) return { kind: "wrong-password", flow: stored.view };
    return this.step(stored, password, async (userbot): Promise<Signed> => {
      // GetPassword and CheckPassword in one go: the SRP parameters are single-use.
      const params = await userbot.client.invoke(new Api.account.GetPassword());
      const check = await computeCheck(params, password);
      const auth = await userbot.client.invoke(new Api.auth.CheckPassword({ password: check }));
      return signedIn(userbot, auth);
    });
  }

  async cancel(phone: Phone, actor?: string): Promise<void> {
    if (actor !== undefined) {
      // Only one's own login is cancelled: another admin's (one that took this phone over, say) goes on.
      const view = await this.flows.view(phone);
      if (view && view.startedBy !== actor) {
        this.deps.logger.info("Login not cancelled: another actor's", {
          phone,
          actor,
          heldBy: view.startedBy,
        });
        return;
      }
    }
    // Read only to learn whether a signed-in key is left over: a flow that cannot be read is still cancelled.
    const stored = await this.flows.get(phone).catch(() => undefined);
    if (stored && isSignedIn(stored) && !stored.busy && (await this.flows.delete(phone, stored))) {
      // A login Telegram completed but nobody stored, ended before any step claimed it again (a claim changes the
      // version this delete is conditional on): nobody will store its key now, so it is logged out and stays no
      // device nobody holds.
      if (!(await holds(this.deps, phone, stored.secret.session)))
        await this.logOut(stored.secret.session, stored.secret.proxy);
    } else {
      // While a step holds the flow, that step may be storing it (cancelled too late: the login has happened).
      await this.flows.delete(phone);
    }
    this.deps.logger.info("Login cancelled", { phone });
  }

  getFlow(phone: Phone): Promise<LoginFlowView | undefined> {
    return this.flows.view(phone);
  }

  /** One code or password step: claim the flow, call Telegram on its session, write back what happened. */
  private async step(
    stored: StoredFlow,
    secret: string,
    run: (userbot: OpenUserbot) => Promise<Signed>,
  ): Promise<LoginOutcome> {
    const phone = stored.view.phone;
    const claimed = await this.flows.tryClaim(phone, stored);
    if (claimed instanceof FlowBusyError) return { kind: "unavailable", message: claimed.message };
    registerSecret(secret);
    try {
      const result = await this.telegram(stored.secret.session, run, stored.secret.proxy);
      if (!result.ok) return await this.afterFailure(stored, claimed, result.failure);
      if (result.value.kind === "no-account") {
        await this.flows.delete(phone, claimed);
        return { kind: "no-account" };
      }
      return await this.signedIn(stored, claimed, result.value);
    } catch (err) {
      // Only before the flow was marked signed in: past that, `signedIn` answers instead of throwing.
      await this.flows.release(phone, claimed);
      throw err;
    } finally {
      forgetSecret(secret);
    }
  }

  /**
   * Telegram accepted the code or password: the flow is marked signed in (still claimed by this step), then the
   * session stored. A flow cancelled or restarted meanwhile fails the mark's condition: the key is logged out and
   * nothing is stored.
   */
  private async signedIn(
    stored: StoredFlow,
    claimed: FlowRef,
    signed: Extract<Signed, { kind: "signed-in" }>,
  ): Promise<LoginOutcome> {
    const phone = stored.view.phone;
    const secret: FlowSecret = {
      ...stored.secret,
      session: signed.session,
      signedIn: { account: signed.account },
    };
    let marked: FlowRef | undefined;
    try {
      marked = await this.mark(phone, claimed, secret);
    } catch (err) {
      // Twice unwritten: nothing records that the key is signed in, and Telegram would not sign it in again. Logged
      // out, it is no device nobody holds; the login starts again.
      this.deps.logger.warn("Login signed in but could not be recorded; logging its key out", {
        phone,
        error: nameOf(err),
      });
      // Whether the mark landed is unknown (its answer may have been lost): the key is logged out only once this
      // login's flow is surely gone, else a later step could find the mark and store a logged-out key.
      if (await this.flows.delete(phone, { flowId: claimed.flowId }).catch(() => false)) {
        await this.logOut(signed.session, stored.secret.proxy);
      }
      return {
        kind: "unavailable",
        message: redactText(`The login could not be saved (${nameOf(err)}); start it again.`),
      };
    }
    if (!marked) {
      await this.logOut(signed.session, stored.secret.proxy);
      this.deps.logger.info("Login ended meanwhile (cancelled or restarted); nothing stored", { phone });
      return { kind: "no-flow" };
    }
    this.deps.logger.info("Login accepted by Telegram", { phone, userId: signed.account.userId });
    return this.store(stored.view, marked, signed.session, signed.account, stored.secret.proxy);
  }

  /**
   * Writes the signed-in mark, keeping the claim. Undefined when the flow was cancelled or restarted meanwhile.
   * Telegram would not take the code or password again, so a failed write gets one more try; and a write that
   * landed although its answer was lost is recognised by reading the flow back.
   */
  private async mark(phone: Phone, claimed: FlowRef, secret: FlowSecret): Promise<FlowRef | undefined> {
    // Kept for a day, not the code step's 10 minutes: a signed-in key must be stored (by any later step or a new
    // start for the phone) or logged out (by a cancel), never dropped by the flow's expiry unseen.
    const patch = { secret, extend: SIGNED_IN_KEEP_MS };
    let marked: FlowRef | undefined;
    try {
      marked = await this.flows.hold(phone, claimed, patch);
    } catch (err) {
      this.deps.logger.warn("Could not mark the login signed in; trying once more", {
        phone,
        error: nameOf(err),
      });
      marked = await this.flows.hold(phone, claimed, patch);
    }
    if (marked) return marked;
    const now = await this.flows.get(phone);
    if (now?.flowId === claimed.flowId && now.secret.signedIn && now.secret.session === secret.session)
      return now;
    return undefined;
  }

  /** A later step of a login Telegram already completed: claims the flow and finishes storing it. */
  private async resume(stored: SignedInFlow): Promise<LoginOutcome> {
    const phone = stored.view.phone;
    const claimed = await this.flows.tryClaim(phone, stored);
    if (claimed instanceof FlowBusyError) return { kind: "unavailable", message: claimed.message };
    this.deps.logger.info("Finishing a login Telegram already accepted", { phone });
    return this.store(
      stored.view,
      claimed,
      stored.secret.session,
      stored.secret.signedIn.account,
      stored.secret.proxy,
    );
  }

  /**
   * Stores the signed-in session (`storeSignedIn`: not again when an earlier try did), then ends the flow in one
   * transaction with the audit entry. A failure leaves the flow marked and unclaimed, for the next step to finish
   * from: the key's holder here is the flow.
   */
  private async store(
    flow: LoginFlowView,
    held: FlowRef,
    sessionString: string,
    account: TelegramAccount,
    proxy: ProxySettings | undefined,
  ): Promise<LoginOutcome> {
    const phone = flow.phone;
    try {
      const { session, replaced, previousKey } = await storeSignedIn(
        this.deps,
        {
          phone,
          sessionString,
          account,
          identity: await newKeyIdentity(this.deps),
          ...(proxy ? { proxy } : {}),
        },
        { replacedHint: flow.replacesExisting, actor: flow.startedBy },
      );
      const saved = { session, replaced, ...(previousKey ? { previousKey } : {}) };
      const entry = loginAuditEntry(phone, account, saved.replaced, flow.startedBy, previousKey);
      if (!(await this.flows.end(phone, held, this.deps.audit?.prepare(entry).put))) {
        // Cancelled or restarted after Telegram signed in and the mark was written: too late to undo, the
        // session is stored. Its audit entry is written alone.
        await this.deps.audit?.record(entry);
      }
      this.deps.logger.info("Session logged in", { phone, userId: account.userId, replaced: saved.replaced });
      return { kind: "logged-in", ...saved };
    } catch (err) {
      await this.flows.release(phone, held).catch(() => undefined);
      const failure = err instanceof KeyNotStoredError ? err.failure : nameOf(err);
      this.deps.logger.warn("Login accepted by Telegram but not stored yet; the next step finishes it", {
        phone,
        error: failure,
      });
      return {
        kind: "unavailable",
        message: redactText(
          `Telegram accepted the login, but storing it failed (${failure}). Send the same step again to ` +
            "finish it (what you send is not checked again).",
        ),
      };
    }
  }

  /** Best effort: ends a key's authorization at Telegram (auth.logOut); a failure is only logged. */
  private async logOut(session: string, proxy: ProxySettings | undefined): Promise<void> {
    const result = await this.telegram(
      session,
      (userbot) => userbot.client.invoke(new Api.auth.LogOut()),
      proxy,
    );
    if (!result.ok)
      this.deps.logger.info("Could not log out a login's key", { outcome: result.failure.kind });
  }

  private async afterFailure(
    stored: StoredFlow,
    claimed: FlowRef,
    failure: StepFailure,
  ): Promise<LoginOutcome> {
    const phone = stored.view.phone;
    this.deps.logger.info("Login step failed", { phone, step: stored.view.step, outcome: failure.kind });
    if (failure.kind === "password-needed") {
      const hint = await this.passwordHint(stored.secret.session, stored.secret.proxy);
      const patch = {
        step: "password",
        attemptsLeft: stored.view.attemptsLeft,
        ...(hint ? { passwordHint: hint } : {}),
        extend: true,
      } as const;
      const flow = await this.flows.release(phone, claimed, patch).catch((err: unknown) => {
        // Telegram took the code (the key now waits for the password) and would not take it again: one more try.
        this.deps.logger.warn("Could not move the login to its password step; trying once more", {
          phone,
          error: nameOf(err),
        });
        return this.flows.release(phone, claimed, patch);
      });
      return flow ? { kind: "password-needed", flow } : { kind: "no-flow" };
    }
    if (failure.kind === "wrong-code" || failure.kind === "wrong-password") {
      const attemptsLeft = stored.view.attemptsLeft - 1;
      if (attemptsLeft <= 0) {
        await this.flows.delete(phone, claimed);
        return { kind: "too-many-attempts" };
      }
      const flow = await this.flows.release(phone, claimed, { attemptsLeft });
      return flow ? { kind: failure.kind, flow } : { kind: "no-flow" };
    }
    if (ENDS_FLOW.has(failure.kind)) await this.flows.delete(phone, claimed);
    else await this.flows.release(phone, claimed);
    return this.publicOutcome(failure, stored.view);
  }

  /** The account's password hint, for the prompt. A failure here only loses the hint. */
  private async passwordHint(session: string, proxy: ProxySettings | undefined): Promise<string | undefined> {
    const result = await this.telegram(
      session,
      async (userbot) => {
        const params = await userbot.client.invoke(new Api.account.GetPassword());
        return params.hint;
      },
      proxy,
    );
    return result.ok ? result.value : undefined;
  }

  private publicOutcome(failure: StepFailure, flow: LoginFlowView | undefined): LoginOutcome {
    switch (failure.kind) {
      case "wrong-code":
      case "wrong-password":
      case "password-needed":
        // Only reachable without a flow (at startLogin): Telegram answered a sign-in error to SendCode.
        return flow
          ? { kind: failure.kind, flow }
          : { kind: "unavailable", message: `Unexpected ${failure.kind}` };
      default:
        return failure;
    }
  }

  /** Runs Telegram calls on a one-shot client, turning Telegram's refusals into step failures. */
  private async telegram<T>(
    session: string,
    job: (userbot: OpenUserbot) => Promise<T>,
    proxy?: ProxySettings,
  ): Promise<StepResult<T>> {
    return loginStep(this.deps, this.deadlineMs, session, job, proxy);
  }
}

/** The key on `userbot` was just signed in by `auth`: its session string and account. */
async function signedIn(userbot: OpenUserbot, auth: Api.auth.TypeAuthorization): Promise<Signed> {
  return {
    kind: "signed-in",
    session: userbot.session.save(),
    account: await accountOfAuthorization(userbot, auth),
  };
}

/** The account an auth.Authorization names (Telegram sends the full user); getMe when it does not. */
async function accountOfAuthorization(
  userbot: OpenUserbot,
  auth: Api.auth.TypeAuthorization,
): Promise<TelegramAccount> {
  if (auth instanceof Api.auth.Authorization && auth.user instanceof Api.User) return accountOf(auth.user);
  return getMe(userbot);
}

function loginAuditEntry(
  phone: Phone,
  account: TelegramAccount,
  replaced: boolean,
  actor: string,
  previousKey: PreviousKeyOutcome | undefined,
) {
  return {
    action: replaced ? ("session.relogin" as const) : ("session.created" as const),
    actor,
    phone,
    detail:
      `logged in as ${account.username ? `@${account.username}` : `user ${account.userId}`}` +
      (previousKey ? `; ${describePreviousKeyOutcome(previousKey)}` : ""),
  };
}

/**
 * A login (by code or by QR code) that no flow holds any more succeeded with `key`: stored (`storeSignedIn`, a new
 * session or the phone's existing one logged in again) and recorded; or, not stored, its key logged out with
 * `logOut` rather than left as a device nobody holds. An audit write that fails after the store throws, the key kept.
 */
export async function storeLogin(
  deps: ResolvedDeps,
  key: SignedInKey,
  actor: string,
  logOut: (sessionString: string) => Promise<void>,
): Promise<Extract<LoginOutcome, { kind: "logged-in" }>> {
  let stored;
  try {
    stored = await storeSignedIn(deps, key, { actor });
  } catch (err) {
    if (err instanceof KeyNotStoredError) await logOut(key.sessionString);
    throw err;
  }
  const { session, replaced, previousKey } = stored;
  await deps.audit?.record(loginAuditEntry(key.phone, key.account, replaced, actor, previousKey));
  deps.logger.info("Session logged in", { phone: key.phone, userId: key.account.userId, replaced });
  return { kind: "logged-in", session, replaced, ...(previousKey ? { previousKey } : {}) };
}
