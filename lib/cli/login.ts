/**
 * What `sessions add <phone>` and `sessions add --qr` share: the answer-as-secret reader, the success line, and the
 * lines for the failures both logins can end with.
 */
import { stripVTControlCharacters as stripColors } from "node:util";
import { redactText, registerSecret } from "../log";
import type { Session } from "../sessions";
import type { LoginOutcome, PreviousKeyOutcome, QrLoginOutcome } from "../telegram/contract";
import type { CliContext } from "./context";
import { accountLabel, plural, sessionJson } from "./format";

/** Masks the answer in every log line and error from the moment it is read. */
export async function readSecret(answer: Promise<string>): Promise<string> {
  const value = await answer;
  registerSecret(value.trim());
  registerSecret(value);
  return value;
}

/** What a successful login prints on stdout (and, when it replaced a session, what became of the old key). */
export function loggedInLine(
  session: Session,
  replaced: boolean,
  ctx: CliContext,
  previousKey?: PreviousKeyOutcome,
): string {
  const s = session;
  return (
    `${ctx.colors.green("Logged in")}: ${s.phone} as ${accountLabel(s.account)}${s.account ? ` (id ${s.account.userId})` : ""}. ` +
    `The session is stored encrypted, status ${s.status}` +
    `${replaced ? ", replacing the old one" : ""}; the health check includes it from now on.` +
    (previousKey ? `\n${previousKeyLine(previousKey)}` : "")
  );
}

/** What became of the key a login or an import replaced, in one line. */
export function previousKeyLine(previousKey: PreviousKeyOutcome): string {
  switch (previousKey.outcome) {
    case "logged-out":
      return "The previous key was logged out at Telegram.";
    case "already-dead":
      return `Telegram already refused the previous key (${previousKey.code}); there was nothing left to log out.`;
    case "pending":
      return (
        `The previous key could not be logged out at Telegram (${previousKey.reason}); the logout is retried until ` +
        `${utcMinute(previousKey.retryUntil)} by the weekly cleanup and \`sessions revoke-pending\`.`
      );
  }
}

function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

/** The text after "Not logged in: " for a failure both logins share, or undefined for the others. */
export function sharedFailure(outcome: LoginOutcome | QrLoginOutcome): string | undefined {
  switch (outcome.kind) {
    case "flood-wait":
      return `Telegram asks to wait ${plural(outcome.seconds, "second")} before the next login attempt (flood wait).`;
    case "api-credentials-invalid":
      return "Telegram refused API_ID/API_HASH. Check both at my.telegram.org → API development tools, and in .env.";
    case "unavailable":
      // The userbot layer's message says what happened and what to do (a whole sentence).
      return outcome.message;
    default:
      return undefined;
  }
}

/** The one object `sessions add --json` and `sessions import --json` print on stdout (shape in their --help). */
export interface LoginResult {
  /** "logged-in" / "imported", or the failure's kind (e.g. "wrong-code", "wrong-account"). */
  readonly outcome: string;
  readonly phone: string | null;
  readonly session?: Session;
  readonly replaced?: boolean;
  readonly previousKey?: PreviousKeyOutcome;
  /** For a failure: what the line on stderr says, without colour. */
  readonly message?: string;
}

export const LOGIN_JSON_SHAPE = [
  '  { "ok": true, "outcome": "logged-in" | "imported" | <failure>, "phone": "+…" | null,',
  '    "session": <as in `sessions show --json`> | null, "replaced": true | false | null,',
  '    "previousKey": { "outcome": "logged-out" | "already-dead" | "pending", "code": …, "retryUntil": ISO,',
  '      "reason": "…" } | null, "message": "…" | null }',
  "  A failure has ok false, its kind as outcome and the reason in message, and exits non-zero.",
  "  Questions and what is said on the way go to stderr; stdout has only this object.",
];

export function printLoginJson(ctx: CliContext, r: LoginResult): void {
  const ok = r.outcome === "logged-in" || r.outcome === "imported";
  ctx.out(
    JSON.stringify(
      {
        ok,
        outcome: r.outcome,
        phone: r.phone,
        session: r.session ? sessionJson(r.session) : null,
        replaced: r.replaced ?? null,
        previousKey: r.previousKey ? { ...r.previousKey } : null,
        message: r.message !== undefined ? redactText(stripColors(r.message)) : null,
      },
      null,
      2,
    ),
  );
}
