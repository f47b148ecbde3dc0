/**
 * Adding an account from a session string made elsewhere (GramJS, Telethon, Pyrogram): read it, prove it with
 * getMe under a deadline, check it is the account of the phone given, and only then store it (`create`, or
 * `relogin` when the phone already has a session, which is then replaced). A string that fails any of this
 * stores nothing.
 */
import type { Api } from "telegram";
import { SessionExistsError } from "../sessions/errors";
import type { Phone } from "../sessions/phone";
import type { Session } from "../sessions/session";
import { runOneShot } from "./client";
import type { ClassifiedFailure } from "./contract";
import type { ResolvedDeps } from "./deps";
import { classifyError } from "./errors";
import { parseSessionString } from "./session-string";
import { accountOf, getSelf } from "./userbot";

/** Hard limit on proving an imported session (connect + getMe). */
export const IMPORT_DEADLINE_MS = 20_000;

export class SessionImportFailedError extends Error {
  constructor(
    readonly phone: Phone,
    readonly failure: ClassifiedFailure,
  ) {
    super(`The session string for ${phone} does not work: ${failure.message}. Nothing was stored.`);
    this.name = "SessionImportFailedError";
  }
}

export class WrongAccountError extends Error {
  constructor(
    readonly phone: Phone,
    readonly actualPhone: string,
  ) {
    super(
      `The session string logs in as +${actualPhone}, not ${phone}. Nothing was stored; ` +
        "import it under its own phone number.",
    );
    this.name = "WrongAccountError";
  }
}

export async function importSession(
  deps: ResolvedDeps,
  phone: Phone,
  input: string,
  actor: string,
  deadlineMs: number = IMPORT_DEADLINE_MS,
): Promise<Session> {
  const parsed = parseSessionString(input);
  const credentials = await deps.credentials();
  let me: Api.User;
  try {
    me = await runOneShot(parsed.sessionString, credentials, getSelf, {
      createClient: deps.createClient,
      deadlineMs,
    });
  } catch (err) {
    const failure = classifyError(err);
    deps.logger.warn("Session import failed", { phone, format: parsed.format, code: failure.code });
    throw new SessionImportFailedError(phone, failure);
  }
  // Telegram shows the account's own number to itself; a string pasted under the wrong phone is refused.
  if (me.phone && `+${me.phone}` !== phone) throw new WrongAccountError(phone, me.phone);
  const account = accountOf(me);
  const existing = await deps.sessions.get(phone);
  let session: Session;
  let replaced = false;
  if (existing && existing.status !== "deleted") {
    session = await deps.sessions.relogin(phone, parsed.sessionString, account);
    replaced = true;
  } else {
    try {
      session = await deps.sessions.create({ phone, sessionString: parsed.sessionString, account });
    } catch (err) {
      if (!(err instanceof SessionExistsError)) throw err;
      session = await deps.sessions.relogin(phone, parsed.sessionString, account);
      replaced = true;
    }
  }
  await deps.audit?.record({
    action: "session.imported",
    actor,
    phone,
    detail: `${parsed.format} session${replaced ? ", replacing the old one" : ""}`,
  });
  deps.logger.info("Session imported", { phone, format: parsed.format, userId: account.userId, replaced });
  return session;
}
