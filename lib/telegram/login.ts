/**
 * The stateless login: `startLogin` sends the code, `submitCode` signs in (or moves to the password step),
 * `submitPassword` finishes a 2FA login. Each step is a separate call with its own client, possibly in another
 * process: what carries over is the temporary session string (the same auth key, which Telegram ties the code to)
 * and the phoneCodeHash, both in the encrypted login flow (`login-flow.ts`).
 *
 * A phone that already has a session keeps it until the new login has succeeded: only then does `relogin`
 * replace its session string. A failed login touches nothing in the sessions table.
 */
import { Api } from "telegram";
import { FloodWaitError, RPCError } from "telegram/errors";
import { computeCheck } from "telegram/Password";
import { forgetSecret, redactText, registerSecret } from "../log";
import { SessionExistsError } from "../sessions/errors";
import type { Phone } from "../sessions/phone";
import type { Session, TelegramAccount } from "../sessions/session";
import { runOneShot, type OpenUserbot } from "./client";
import type { CodeDelivery, LoginFlowView, LoginOutcome, LoginService } from "./contract";
import type { ResolvedDeps } from "./deps";
import { classifyError } from "./errors";
import { FlowBusyError, LoginFlowStore, type FlowRef, type StoredFlow } from "./login-flow";
import { getMe } from "./userbot";

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
      { kind: "code-sent" | "password-needed" | "logged-in" | "wrong-code" | "wrong-password" | "no-flow" }
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
 * turning Telegram's refusals into step failures (`loginFailure`).
 */
export async function loginStep<T>(
  deps: ResolvedDeps,
  deadlineMs: number,
  session: string,
  job: (userbot: OpenUserbot) => Promise<T>,
): Promise<StepResult<T>> {
  const credentials = await deps.credentials();
  try {
    return {
      ok: true,
      value: await runOneShot(session, credentials, job, { createClient: deps.createClient, deadlineMs }),
    };
  } catch (err) {
    return { ok: false, failure: loginFailure(err) };
  }
}

export class StatelessLogin implements LoginService {
  private readonly flows: LoginFlowStore;

  constructor(
    private readonly deps: ResolvedDeps,
    private readonly deadlineMs: number = LOGIN_STEP_DEADLINE_MS,
  ) {
    this.flows = new LoginFlowStore(deps);
  }

  async startLogin(phone: Phone, startedBy: string): Promise<LoginOutcome> {
    const credentials = await this.deps.credentials();
    const existing = await this.deps.sessions.get(phone);
    const replacesExisting = existing !== undefined && existing.status !== "deleted";
    const step = await this.telegram("", async (userbot) => {
      const sent = await userbot.client.invoke(
        new Api.auth.SendCode({
          phoneNumber: phone,
          apiId: credentials.apiId,
          apiHash: credentials.apiHash,
          settings: new Api.CodeSettings({}),
        }),
      );
      if (sent instanceof Api.auth.SentCodeSuccess) {
        // Telegram logged in at once (a future auth token): finish here.
        return { loggedIn: true, outcome: await this.finish(phone, userbot, startedBy) } as const;
      }
      // Read after SendCode: a PHONE_MIGRATE inside it moved the client to another DC with a new key.
      return { loggedIn: false, sent, session: userbot.session.save() } as const;
    });
    if (!step.ok) {
      this.deps.logger.info("Login not started", { phone, outcome: step.failure.kind });
      return this.publicOutcome(step.failure, undefined);
    }
    if (step.value.loggedIn) return step.value.outcome;
    const { sent, session } = step.value;
    const length = codeLength(sent.type);
    const flow = await this.flows.start(
      {
        phone,
        startedBy,
        replacesExisting,
        codeDelivery: codeDelivery(sent.type),
        ...(length ? { codeLength: length } : {}),
      },
      { session, phoneCodeHash: sent.phoneCodeHash },
    );
    this.deps.logger.info("Login code sent", { phone, delivery: flow.codeDelivery, startedBy });
    return { kind: "code-sent", flow };
  }

  async submitCode(phone: Phone, text: string): Promise<LoginOutcome> {
    // Codes are asked for with separators ("1 2 3 4 5"): Telegram blocks a code typed into a chat as it is.
    const code = text.replace(/\D/g, "");
    const stored = await this.flows.get(phone);
    if (!stored) return { kind: "no-flow" };
    if (stored.view.step === "password") return { kind: "password-needed", flow: stored.view };
    const expected = stored.view.codeLength;
    if (code.length < 4 || code.length > 10 || (expected !== undefined && code.length !== expected)) {
      // Not a code at all: no attempt spent, Telegram not asked.
      return { kind: "wrong-code", flow: stored.view };
    }
    return this.step(stored, code, async (userbot) => {
      const auth = await userbot.client.invoke(
        new Api.auth.SignIn({
          phoneNumber: phone,
          phoneCodeHash: stored.secret.phoneCodeHash,
          phoneCode: code,
        }),
      );
      if (auth instanceof Api.auth.AuthorizationSignUpRequired) return { kind: "no-account" } as const;
      return this.finish(phone, userbot, stored.view.startedBy);
    });
  }

  async submitPassword(phone: Phone, password: string): Promise<LoginOutcome> {
    const stored = await this.flows.get(phone);
    if (!stored) return { kind: "no-flow" };
    if (stored.view.step === "code") return { kind: "code-sent", flow: stored.view };
    if (password.length === 0) return { kind: "wrong-password", flow: stored.view };
    return this.step(stored, password, async (userbot) => {
      // GetPassword and CheckPassword in one go: the SRP parameters are single-use.
      const params = await userbot.client.invoke(new Api.account.GetPassword());
      const check = await computeCheck(params, password);
      await userbot.client.invoke(new Api.auth.CheckPassword({ password: check }));
      return this.finish(phone, userbot, stored.view.startedBy);
    });
  }

  async cancel(phone: Phone): Promise<void> {
    await this.flows.delete(phone);
    this.deps.logger.info("Login cancelled", { phone });
  }

  getFlow(phone: Phone): Promise<LoginFlowView | undefined> {
    return this.flows.view(phone);
  }

  /** One code or password step: claim the flow, call Telegram on its session, write back what happened. */
  private async step(
    stored: StoredFlow,
    secret: string,
    run: (userbot: OpenUserbot) => Promise<LoginOutcome>,
  ): Promise<LoginOutcome> {
    const phone = stored.view.phone;
    let claimed: FlowRef;
    try {
      claimed = await this.flows.claim(phone, stored);
    } catch (err) {
      if (err instanceof FlowBusyError) return { kind: "unavailable", message: err.message };
      throw err;
    }
    registerSecret(secret);
    try {
      const result = await this.telegram(stored.secret.session, run);
      if (result.ok) {
        if (result.value.kind === "logged-in" || result.value.kind === "no-account") {
          await this.flows.delete(phone, claimed);
        } else {
          await this.flows.release(phone, claimed);
        }
        return result.value;
      }
      return await this.afterFailure(stored, claimed, result.failure);
    } catch (err) {
      await this.flows.release(phone, claimed);
      throw err;
    } finally {
      forgetSecret(secret);
    }
  }

  private async afterFailure(
    stored: StoredFlow,
    claimed: FlowRef,
    failure: StepFailure,
  ): Promise<LoginOutcome> {
    const phone = stored.view.phone;
    this.deps.logger.info("Login step failed", { phone, step: stored.view.step, outcome: failure.kind });
    if (failure.kind === "password-needed") {
      const hint = await this.passwordHint(stored.secret.session);
      const flow = await this.flows.release(phone, claimed, {
        step: "password",
        attemptsLeft: stored.view.attemptsLeft,
        ...(hint ? { passwordHint: hint } : {}),
        extend: true,
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
  private async passwordHint(session: string): Promise<string | undefined> {
    const result = await this.telegram(session, async (userbot) => {
      const params = await userbot.client.invoke(new Api.account.GetPassword());
      return params.hint;
    });
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
  ): Promise<StepResult<T>> {
    return loginStep(this.deps, this.deadlineMs, session, job);
  }

  /** The login succeeded on `userbot`: store its session (new, or replacing the old one) and say so. */
  private async finish(phone: Phone, userbot: OpenUserbot, actor: string): Promise<LoginOutcome> {
    return storeLogin(this.deps, phone, userbot.session.save(), await getMe(userbot), actor);
  }
}

/**
 * A login (by code or by QR code) succeeded with `sessionString` as `account`: stores it as a new `active` session,
 * or, when the phone already has a non-deleted session, replaces that one's string (`relogin`), and records it.
 */
export async function storeLogin(
  deps: ResolvedDeps,
  phone: Phone,
  sessionString: string,
  account: TelegramAccount,
  actor: string,
): Promise<{ readonly kind: "logged-in"; readonly session: Session; readonly replaced: boolean }> {
  const existing = await deps.sessions.get(phone);
  let session: Session;
  let replaced = false;
  if (existing && existing.status !== "deleted") {
    session = await deps.sessions.relogin(phone, sessionString, account);
    replaced = true;
  } else {
    try {
      session = await deps.sessions.create({ phone, sessionString, account });
    } catch (err) {
      if (!(err instanceof SessionExistsError)) throw err;
      session = await deps.sessions.relogin(phone, sessionString, account);
      replaced = true;
    }
  }
  await deps.audit?.record({
    action: replaced ? "session.relogin" : "session.created",
    actor,
    phone,
    detail: `logged in as ${account.username ? `@${account.username}` : `user ${account.userId}`}`,
  });
  deps.logger.info("Session logged in", { phone, userId: account.userId, replaced });
  return { kind: "logged-in", session, replaced };
}
