/**
 * A login's progress as the admin sees it, shared by the chat (➕ Add Session, QR login) and the Mini App form:
 * what a login outcome makes the admin's pending step (the next code or password prompt waits until the flow
 * expires, a finished or failed login waits for nothing, a step Telegram could not answer stays as it was, for a
 * retry), the words for a login that ended without a session, the card of one that succeeded, and who started a
 * login. The login itself (phone, step, expiry, tries, owner) is the flow's (lib/bot-state/login-flows.ts); the
 * pending step only says which login the admin's next message answers.
 *
 * The Mini App imports nothing else of the bot but its texts: what it needs of the bot is here.
 */
import type { Phone } from "../sessions/phone";
import type { LoginOutcome, LoginService, QrLoginOutcome, QrLoginService } from "../telegram/contract";
import type { BotDeps } from "./context";
import { formatTime, sessionCard, type View } from "./views";
import type { Texts } from "./locales";
import type { PendingStep } from "../bot-state/chat-memory";
import { esc } from "./html";

/** The login services, loaded on first use (they import GramJS). */
export type LoginServicesLoader = () => Promise<{
  readonly login: LoginService;
  readonly qr: QrLoginService;
}>;

export type PendingChange =
  /** `until`: when the step expires; for a phone login's step, how long its item is kept (the flow's expiry rules). */
  | { readonly change: "set"; readonly input: PendingStep; readonly until?: string }
  | { readonly change: "clear" }
  | { readonly change: "keep" };

const clear: PendingChange = { change: "clear" };

export function pendingAfterLogin(o: LoginOutcome, phone: Phone): PendingChange {
  switch (o.kind) {
    case "code-sent":
    case "wrong-code":
    case "password-needed":
    case "wrong-password":
      if ((o.kind === "wrong-code" || o.kind === "wrong-password") && o.flow.attemptsLeft <= 0) return clear;
      // The next message answers this login, at whatever step its flow is: set anew, so no digits are entered (a
      // wrong code's digits are gone).
      return {
        change: "set",
        input: { kind: "login", phone, flowId: o.flow.flowId },
        until: o.flow.expiresAt,
      };
    case "invalid-phone":
      return { change: "set", input: { kind: "phone" } };
    // Another admin's login ("flow-held"): at the start the phone step waits for another number (or the
    // take-over); at a step, the admin's own step stays as it was until it expires (what they send is refused the
    // same way).
    case "unavailable":
    case "flow-held":
      return { change: "keep" };
    default:
      return clear;
  }
}

/**
 * Who started a login, in the admin's words and escaped for HTML: "Dilnoza (id 2002)", "admin 2002", "the CLI
 * (ops)". `startedBy` is the flow's "tg:<admin id>" or "cli:<user>".
 */
export async function whoStarted(
  deps: Pick<BotDeps, "admins">,
  t: Texts,
  startedBy: string,
): Promise<string> {
  const [kind, id = ""] = startedBy.split(/:(.*)/s, 2);
  if (kind === "tg") {
    const admin = await deps.admins.get(id).catch(() => undefined);
    return esc(t.add.adminLabel(id, admin?.name));
  }
  if (kind === "cli") return esc(t.add.cliLabel(id));
  return esc(startedBy);
}

export function pendingAfterQr(o: QrLoginOutcome): PendingChange {
  switch (o.kind) {
    case "qr":
      return { change: "set", input: { kind: "qr" }, until: o.flow.expiresAt };
    case "password-needed":
    case "wrong-password":
      if (o.kind === "wrong-password" && o.flow.attemptsLeft <= 0) return clear;
      return { change: "set", input: { kind: "qr-password" }, until: o.flow.expiresAt };
    case "unavailable":
      return { change: "keep" };
    default:
      return clear;
  }
}

/**
 * The message for an outcome that ends the login without a session (the same in the chat and on the form), or
 * undefined for the outcomes each place words itself (prompts, wrong tries, success).
 */
export function loginEndedText(t: Texts, o: LoginOutcome | QrLoginOutcome): string | undefined {
  switch (o.kind) {
    case "code-expired":
      return t.add.codeExpired;
    case "no-flow":
      return t.add.noFlow;
    case "too-many-attempts":
      return t.add.tooManyAttempts;
    case "phone-banned":
      return t.add.phoneBanned;
    case "no-account":
      return t.add.noAccount;
    case "flood-wait":
      return t.add.floodWait(Math.ceil(o.seconds / 60));
    case "api-credentials-invalid":
      return t.add.apiCredentialsInvalid;
    case "invalid-phone":
      return t.add.invalidPhone;
    case "other-account":
      return t.qr.otherAccount(o.phone);
    default:
      return undefined;
  }
}

/**
 * The new session's card, said the same in the chat whether the login finished there or on the form; an owner gets
 * the owner-only buttons (🔎 Restrictions) on it as on any card they open.
 */
export function loggedInCard(
  t: Texts,
  o: Extract<LoginOutcome | QrLoginOutcome, { kind: "logged-in" }>,
  viewer: { readonly owner?: boolean } = {},
): View {
  return sessionCard(t, o.session, loggedInText(t, o), viewer);
}

/** "Logged in", and, when it replaced a session, what became of the old key at Telegram. */
export function loggedInText(
  t: Texts,
  o: Extract<LoginOutcome | QrLoginOutcome, { kind: "logged-in" }>,
  said: string = t.add.loggedIn(o.replaced),
): string {
  const p = o.previousKey;
  if (!p) return said;
  const previous =
    p.outcome === "logged-out"
      ? t.add.previousKeyLoggedOut
      : p.outcome === "already-dead"
        ? t.add.previousKeyAlreadyDead(esc(p.code))
        : t.add.previousKeyPending(formatTime(p.retryUntil, t), esc(p.reason));
  return `${said}\n${previous}`;
}

/** Moves the admin's pending step along after a login outcome (chat and Mini App alike). */
export async function applyPendingChange(
  deps: Pick<BotDeps, "memory">,
  adminId: string,
  change: PendingChange,
): Promise<void> {
  if (change.change === "set") {
    await deps.memory.setPending(adminId, change.input, change.until ? new Date(change.until) : undefined);
  } else if (change.change === "clear") {
    await deps.memory.clearPending(adminId);
  }
}
