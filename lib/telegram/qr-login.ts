/**
 * The stateless QR login (Telegram → Settings → Devices → Link Desktop Device), step for step like the phone login
 * (`login.ts`): each call is one step with its own one-shot client, possibly in another process, and what carries
 * over is the encrypted QR flow (`lib/bot-state/login-flows.ts`, keyed by its owner): the temporary session string (the auth key
 * the login token belongs to) and the last token shown.
 *
 *   startQr          empty session → auth.exportLoginToken → the flow at step "scan" → `tg://login?token=…`
 *   pollQr           auth.exportLoginToken again on the flow's key: auth.loginToken (not scanned yet; a new token
 *                    when the old one expired), auth.loginTokenSuccess (logged in), or auth.loginTokenMigrateTo
 *                    (the account lives on another DC: switch there, auth.importLoginToken); 401
 *                    SESSION_PASSWORD_NEEDED moves the flow to step "password" with the key *after* the migration
 *   submitQrPassword account.getPassword + auth.checkPassword (SRP), wrong passwords counted as for the phone login
 *
 * The phone number is learnt only at the end, from getMe; the session is then stored exactly as a phone login
 * whose flow is gone stores it (`storeLogin` over `storeSignedIn`): a new `active` session, or a relogin of the
 * phone's existing one; a key not stored is logged out.
 */
import { Api } from "telegram";
import { RPCError } from "telegram/errors";
import { computeCheck } from "telegram/Password";
import { forgetSecret, registerSecret } from "../log";
import { InvalidPhoneError, normalizePhone, type Phone } from "../sessions/phone";
import type { OpenUserbot } from "./client";
import type { QrLoginOutcome, QrLoginService, QrLoginView } from "./contract";
import { newKeyIdentity, type ResolvedDeps } from "./deps";
import { LOGIN_STEP_DEADLINE_MS, loginStep, storeLogin, type StepFailure, type StepResult } from "./login";
import {
  FlowBusyError,
  QrFlowStore,
  type FlowRef,
  type QrFlowSecret,
  type StoredQrFlow,
} from "../bot-state/login-flows";
import { accountOf, getSelf } from "./userbot";

/** How often a waiting poll asks Telegram again. */
export const QR_POLL_INTERVAL_MS = 1_500;
/**
 * What a waiting poll leaves of its step's deadline for what follows a scan: a DC migration (a new key by DH),
 * auth.importLoginToken, getMe, and the client's destroy.
 */
export const QR_POLL_RESERVE_MS = 8_000;

/** Telegram's names for a login token that can no longer be used: a new one is exported instead. */
const TOKEN_GONE = new Set([
  "AUTH_TOKEN_EXPIRED",
  "AUTH_TOKEN_INVALID",
  "AUTH_TOKEN_INVALIDX",
  "AUTH_TOKEN_ALREADY_ACCEPTED",
  "AUTH_TOKEN_EXCEPTION",
]);

/** The tg:// URL a QR code shows for a login token. */
export function qrLoginUrl(token: string): string {
  return `tg://login?token=${token}`;
}

/** What one poll found on Telegram, before anything is written. */
type PollResult =
  | { readonly kind: "waiting"; readonly token: Buffer; readonly expires: number; readonly session: string }
  | { readonly kind: "password"; readonly hint?: string; readonly session: string }
  | { readonly kind: "success"; readonly user: Api.User; readonly session: string };

type Finished = { readonly kind: "success"; readonly user: Api.User; readonly session: string };

export class StatelessQrLogin implements QrLoginService {
  private readonly flows: QrFlowStore;

  constructor(
    private readonly deps: ResolvedDeps,
    private readonly deadlineMs: number = LOGIN_STEP_DEADLINE_MS,
    private readonly pollIntervalMs: number = QR_POLL_INTERVAL_MS,
  ) {
    this.flows = new QrFlowStore(deps);
  }

  async startQr(owner: string): Promise<QrLoginOutcome> {
    const credentials = await this.deps.credentials();
    const step = await this.telegram("", async (userbot) => {
      const answer = await exportLoginToken(userbot, credentials);
      // Read after the call: the client may have moved to another DC with a new key.
      return { answer, session: userbot.session.save() };
    });
    if (!step.ok) {
      this.deps.logger.info("QR login not started", { owner, outcome: step.failure.kind });
      return publicFailure(step.failure);
    }
    const { answer, session } = step.value;
    if (!(answer instanceof Api.auth.LoginToken)) {
      // A brand-new key cannot have been scanned: Telegram answered something this login does not expect.
      return { kind: "unavailable", message: `Telegram answered the QR login with ${answer.className}.` };
    }
    const secret = tokenSecret(session, answer.token, answer.expires);
    registerSecret(secret.token);
    try {
      const flow = await this.flows.start(owner, secret);
      this.deps.logger.info("QR login started", { owner, tokenExpiresAt: secret.tokenExpiresAt });
      return qrOutcome(secret, false, flow);
    } finally {
      forgetSecret(secret.token);
    }
  }

  async pollQr(owner: string, options: { readonly waitMs?: number } = {}): Promise<QrLoginOutcome> {
    const stored = await this.flows.get(owner);
    if (!stored) return { kind: "no-flow" };
    if (stored.view.step === "password") return { kind: "password-needed", flow: stored.view };
    // The whole step, waiting included, stays within its deadline, with room for what follows a scan.
    const waitMs = Math.max(0, Math.min(options.waitMs ?? 0, this.deadlineMs - QR_POLL_RESERVE_MS));
    const credentials = await this.deps.credentials();
    return this.step(owner, stored, stored.secret.token, async (claimed) => {
      const result = await this.telegram(stored.secret.session, (userbot) =>
        this.poll(userbot, credentials, waitMs, stored.secret.token),
      );
      if (!result.ok) return this.afterFailure(owner, stored, claimed, result.failure);
      const found = result.value;
      if (found.kind === "success") return this.finish(owner, claimed, found);
      if (found.kind === "password") {
        const flow = await this.flows.release(owner, claimed, {
          step: "password",
          ...(found.hint ? { passwordHint: found.hint } : {}),
          secret: { ...stored.secret, session: found.session },
          extend: true,
        });
        this.deps.logger.info("QR login scanned; 2FA password needed", { owner });
        return flow ? { kind: "password-needed", flow } : { kind: "no-flow" };
      }
      const secret = tokenSecret(found.session, found.token, found.expires);
      const renewed =
        secret.token !== stored.secret.token ||
        Date.parse(stored.secret.tokenExpiresAt) <= this.deps.now().getTime();
      registerSecret(secret.token);
      try {
        const flow = await this.flows.release(owner, claimed, { secret });
        this.deps.logger.info("QR login not scanned yet", { owner, renewed });
        return flow ? qrOutcome(secret, renewed, flow) : { kind: "no-flow" };
      } finally {
        forgetSecret(secret.token);
      }
    });
  }

  async submitQrPassword(owner: string, password: string): Promise<QrLoginOutcome> {
    const stored = await this.flows.get(owner);
    if (!stored) return { kind: "no-flow" };
    if (stored.view.step === "scan") return qrOutcome(stored.secret, false, stored.view);
    if (password.length === 0) return { kind: "wrong-password", flow: stored.view };
    return this.step(owner, stored, password, async (claimed) => {
      const result = await this.telegram(stored.secret.session, async (userbot): Promise<Finished> => {
        // GetPassword and CheckPassword in one go: the SRP parameters are single-use.
        const params = await userbot.client.invoke(new Api.account.GetPassword());
        const check = await computeCheck(params, password);
        await userbot.client.invoke(new Api.auth.CheckPassword({ password: check }));
        return { kind: "success", user: await getSelf(userbot), session: userbot.session.save() };
      });
      if (!result.ok) return this.afterFailure(owner, stored, claimed, result.failure);
      return this.finish(owner, claimed, result.value);
    });
  }

  async cancelQr(owner: string): Promise<void> {
    const stored = await this.flows.get(owner);
    await this.flows.delete(owner);
    this.deps.logger.info("QR login cancelled", { owner });
    // A token shown a moment ago can still be scanned: logged out, the key can no longer become a device on
    // someone's account that nobody holds.
    if (stored) await this.logOut(stored.secret.session);
  }

  getQrFlow(owner: string): Promise<QrLoginView | undefined> {
    return this.flows.view(owner);
  }

  /**
   * One poll on the flow's key: exportLoginToken until it is scanned, Telegram gives a token other than the
   * `shown` one, or `waitMs` has passed, following a migration to the account's DC. Returns the session as it is at the end (after a migration, the new DC's key).
   */
  private async poll(
    userbot: OpenUserbot,
    credentials: { readonly apiId: number; readonly apiHash: string },
    waitMs: number,
    shown: string,
  ): Promise<PollResult> {
    const until = Date.now() + waitMs;
    try {
      for (;;) {
        let answer = await exportLoginToken(userbot, credentials);
        if (answer instanceof Api.auth.LoginTokenMigrateTo) {
          answer = await this.importOnAccountDc(userbot, answer, credentials);
        }
        if (answer instanceof Api.auth.LoginTokenSuccess) {
          // getMe proves the key is logged in, and tells the phone number.
          return { kind: "success", user: await getSelf(userbot), session: userbot.session.save() };
        }
        if (answer instanceof Api.auth.LoginTokenMigrateTo) {
          throw new Error(`Telegram sent the QR login from DC ${answer.dcId} on to another DC again.`);
        }
        // A new token (the shown one expired) is answered at once: the admin must see the new QR code to scan it.
        const renewed = Buffer.from(answer.token).toString("base64url") !== shown;
        if (renewed || Date.now() + this.pollIntervalMs > until) {
          return {
            kind: "waiting",
            token: answer.token,
            expires: answer.expires,
            session: userbot.session.save(),
          };
        }
        await sleep(this.pollIntervalMs);
      }
    } catch (err) {
      if (!(err instanceof RPCError) || err.errorMessage !== "SESSION_PASSWORD_NEEDED") throw err;
      // The key (on the account's DC, after a migration) waits for the password: keep it, with the hint.
      const params = await userbot.client.invoke(new Api.account.GetPassword()).catch(() => undefined);
      return {
        kind: "password",
        ...(params?.hint ? { hint: params.hint } : {}),
        session: userbot.session.save(),
      };
    }
  }

  /**
   * auth.loginTokenMigrateTo: the account lives on another DC. GramJS's own QR login (`signInUserWithQrCode`)
   * does this with its private `_switchDC` (a new key on that DC, the config's address), then imports the token
   * there. A token Telegram no longer takes there is answered with a new one to show, exported on the new DC.
   */
  private async importOnAccountDc(
    userbot: OpenUserbot,
    migrate: Api.auth.LoginTokenMigrateTo,
    credentials: { readonly apiId: number; readonly apiHash: string },
  ): Promise<Api.auth.TypeLoginToken> {
    await switchDc(userbot, migrate.dcId);
    try {
      return await userbot.client.invoke(new Api.auth.ImportLoginToken({ token: migrate.token }));
    } catch (err) {
      if (!(err instanceof RPCError) || !TOKEN_GONE.has(err.errorMessage)) throw err;
      return exportLoginToken(userbot, credentials);
    }
  }

  /** Claims the flow for one step, with `secret` masked in logs while it runs; frees it if the step throws. */
  private async step(
    owner: string,
    stored: StoredQrFlow,
    secret: string,
    run: (claimed: FlowRef) => Promise<QrLoginOutcome>,
  ): Promise<QrLoginOutcome> {
    const claimed = await this.flows.tryClaim(owner, stored);
    if (claimed instanceof FlowBusyError) return { kind: "unavailable", message: claimed.message };
    registerSecret(secret);
    try {
      return await run(claimed);
    } catch (err) {
      await this.flows.release(owner, claimed);
      throw err;
    } finally {
      forgetSecret(secret);
    }
  }

  /**
   * Scanned and logged in: the account's phone from getMe, the flow ended, the session stored. The flow is ended
   * first, conditionally: a login cancelled (or restarted) while this step ran stores nothing. Whatever is not
   * stored is logged out at Telegram, so no logged-in key is left behind as a device nobody holds.
   */
  private async finish(owner: string, claimed: FlowRef, found: Finished): Promise<QrLoginOutcome> {
    const userId = found.user.id.toString();
    let phone: Phone;
    try {
      phone = normalizePhone(found.user.phone ?? "");
    } catch (err) {
      if (!(err instanceof InvalidPhoneError)) throw err;
      await this.flows.delete(owner, claimed);
      await this.logOut(found.session);
      this.deps.logger.warn("QR login of an account without a usable phone number", { owner, userId });
      return {
        kind: "unavailable",
        message:
          "Telegram did not tell the phone number of the account that scanned the code, so its session cannot be " +
          "stored; log it in by phone number instead.",
      };
    }
    // The code was scanned by whoever held it: a number stored for another Telegram account is not taken over.
    const existing = await this.deps.sessions.get(phone);
    const storedFor = existing && existing.status !== "deleted" ? existing.account?.userId : undefined;
    if (storedFor !== undefined && storedFor !== userId) {
      await this.flows.delete(owner, claimed);
      await this.logOut(found.session);
      this.deps.logger.warn("QR login refused: the number is stored for another account", {
        owner,
        phone,
        userId,
        storedFor,
      });
      return { kind: "other-account", phone };
    }
    if (!(await this.flows.delete(owner, claimed))) {
      await this.logOut(found.session);
      this.deps.logger.info("QR login ended meanwhile (cancelled or restarted); nothing stored", { owner });
      return { kind: "no-flow" };
    }
    // The flow is gone: the key is stored, or logged out (`storeLogin`, the phone login's rule for a key no flow holds).
    const key = {
      phone,
      sessionString: found.session,
      account: accountOf(found.user),
      identity: await newKeyIdentity(this.deps),
    };
    return storeLogin(this.deps, key, owner, (session) => this.logOut(session));
  }

  /** Best effort: ends a temporary key's authorization at Telegram (auth.logOut); a failure is only logged. */
  private async logOut(session: string): Promise<void> {
    const result = await this.telegram(session, (userbot) => userbot.client.invoke(new Api.auth.LogOut()));
    if (!result.ok)
      this.deps.logger.info("Could not log out a QR login's temporary key", { outcome: result.failure.kind });
  }

  private async afterFailure(
    owner: string,
    stored: StoredQrFlow,
    claimed: FlowRef,
    failure: StepFailure,
  ): Promise<QrLoginOutcome> {
    this.deps.logger.info("QR login step failed", { owner, step: stored.view.step, outcome: failure.kind });
    if (failure.kind === "wrong-password") {
      const attemptsLeft = stored.view.attemptsLeft - 1;
      if (attemptsLeft <= 0) {
        await this.flows.delete(owner, claimed);
        return { kind: "too-many-attempts" };
      }
      const flow = await this.flows.release(owner, claimed, { attemptsLeft });
      return flow ? { kind: "wrong-password", flow } : { kind: "no-flow" };
    }
    const outcome = publicFailure(failure);
    // The temporary key is gone (or the account banned): only a new QR login helps.
    if (failure.kind === "code-expired" || outcome.kind === "phone-banned") {
      await this.flows.delete(owner, claimed);
    } else {
      await this.flows.release(owner, claimed);
    }
    return outcome;
  }

  private telegram<T>(session: string, job: (userbot: OpenUserbot) => Promise<T>): Promise<StepResult<T>> {
    return loginStep(this.deps, this.deadlineMs, session, job);
  }
}

/**
 * Moves the client to DC `dcId` with a new key, through GramJS's private `_switchDC` (as its own QR login does).
 * GramJS 2.26.22's `_switchDC` clears the session's key, but its `connect()` then calls `session.load()`, which for
 * a StringSession built from a string restores the *old* DC's key from the string it was built from: the client
 * would greet the new DC with a key it does not know (-404, "Broken authorization key"), and hang until the
 * deadline. Forgetting that copy first makes the new DC's key exchange happen, as with a session that started empty.
 */
async function switchDc(userbot: OpenUserbot, dcId: number): Promise<void> {
  (userbot.session as unknown as { _key?: Buffer })._key = undefined;
  await userbot.client._switchDC(dcId);
}

function exportLoginToken(
  userbot: OpenUserbot,
  credentials: { readonly apiId: number; readonly apiHash: string },
): Promise<Api.auth.TypeLoginToken> {
  return userbot.client.invoke(
    new Api.auth.ExportLoginToken({ apiId: credentials.apiId, apiHash: credentials.apiHash, exceptIds: [] }),
  );
}

function tokenSecret(session: string, token: Buffer, expires: number): QrFlowSecret {
  return {
    session,
    token: Buffer.from(token).toString("base64url"),
    tokenExpiresAt: new Date(expires * 1000).toISOString(),
  };
}

function qrOutcome(secret: QrFlowSecret, renewed: boolean, flow: QrLoginView): QrLoginOutcome {
  return { kind: "qr", url: qrLoginUrl(secret.token), tokenExpiresAt: secret.tokenExpiresAt, renewed, flow };
}

/** A phone login's step failure as a QR login outcome (the code-only ones cannot happen here). */
function publicFailure(failure: StepFailure): Exclude<QrLoginOutcome, { kind: "qr" | "logged-in" }> {
  switch (failure.kind) {
    case "phone-banned":
    case "flood-wait":
    case "api-credentials-invalid":
    case "unavailable":
      return failure;
    case "code-expired":
      return {
        kind: "unavailable",
        message: "Telegram forgot this QR login's temporary key; start the QR login again.",
      };
    default:
      return { kind: "unavailable", message: `Telegram refused this QR login step (${failure.kind}).` };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
