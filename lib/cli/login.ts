/** What `sessions add <phone>` and `sessions add --qr` share: the answer-as-secret reader and the success line. */
import { registerSecret } from "../log";
import type { Session } from "../sessions";
import type { CliContext } from "./context";
import { accountLabel } from "./format";

/** Masks the answer in every log line and error from the moment it is read. */
export async function readSecret(answer: Promise<string>): Promise<string> {
  const value = await answer;
  registerSecret(value.trim());
  registerSecret(value);
  return value;
}

/** What a successful login prints on stdout. */
export function loggedInLine(session: Session, replaced: boolean, ctx: CliContext): string {
  const s = session;
  return (
    `${ctx.colors.green("Logged in")}: ${s.phone} as ${accountLabel(s.account)}${s.account ? ` (id ${s.account.userId})` : ""}. ` +
    `The session is stored encrypted, status ${s.status}` +
    `${replaced ? ", replacing the old one" : ""}; the health check includes it from now on.`
  );
}
