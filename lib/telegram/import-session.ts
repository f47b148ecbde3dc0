/**
 * Adding an account from a session string made elsewhere (GramJS, Telethon, Pyrogram): read it, prove it with
 * getMe under a deadline, check it is the account of the phone given, and only then store it (`storeSignedIn`, the
 * step the logins share: a new session, or the phone's existing one given the new key). A string that fails any of this
 * stores nothing.
 *
 * The key keeps who it was made as: the API id a Pyrogram string carries, or the one the operator names for a
 * format that carries none (else the deployment's), presented on every connection from the proof on. It is dialled
 * at Telegram's address for its DC id, never at the address written in the string. It gets the default device
 * identity, or the one given.
 */
import type { Api } from "telegram";
import type { Phone } from "../sessions/phone";
import type { SessionIdentity } from "../sessions/repository";
import { runOneShot } from "./client";
import { isTestNumber } from "./connection";
import type { ClassifiedFailure, ImportedSession, ImportOptions } from "./contract";
import { profileOf, type ResolvedDeps } from "./deps";
import { classifyError } from "./errors";
import { InvalidSessionStringError, parseSessionString } from "./session-string";
import { describePreviousKeyOutcome, storeSignedIn } from "./signed-in";
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

/** Bad import options: nothing was read or stored. */
export class InvalidImportError extends Error {
  constructor(message: string) {
    super(`${message} Nothing was stored.`);
    this.name = "InvalidImportError";
  }
}

export async function importSession(
  deps: ResolvedDeps,
  phone: Phone,
  input: string,
  actor: string,
  options: ImportOptions = {},
  deadlineMs: number = IMPORT_DEADLINE_MS,
): Promise<ImportedSession> {
  if (options.testServers && !isTestNumber(phone)) {
    throw new InvalidImportError(
      `${phone} is not a test number (+99966…); only test numbers live on Telegram's test servers.`,
    );
  }
  if (options.apiId !== undefined && !(Number.isInteger(options.apiId) && options.apiId > 0)) {
    throw new InvalidImportError(`The API id must be a positive whole number, not ${options.apiId}.`);
  }
  const parsed = parseSessionString(input, { testServers: options.testServers === true });
  if (parsed.apiId !== undefined && options.apiId !== undefined && parsed.apiId !== options.apiId) {
    throw new InvalidSessionStringError(
      `it was made under API id ${parsed.apiId}, not ${options.apiId}; leave the API id out`,
    );
  }
  const credentials = await deps.credentials();
  const identity: SessionIdentity = {
    device: { ...deps.defaultIdentity, ...options.device },
    apiId: parsed.apiId ?? options.apiId ?? credentials.apiId,
    ...(parsed.testServers ? { testServers: true } : {}),
  };
  let me: Api.User;
  try {
    me = await runOneShot(parsed.sessionString, await profileOf(deps, identity), getSelf, {
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
  // Not stored (`KeyNotStoredError`): the string stays the operator's, never logged out from here.
  const { session, replaced, previousKey } = await storeSignedIn(
    deps,
    { phone, sessionString: parsed.sessionString, account, identity },
    { actor },
  );
  await deps.audit?.record({
    action: "session.imported",
    actor,
    phone,
    detail:
      `${parsed.format} session, API id ${identity.apiId}${replaced ? ", replacing the old one" : ""}` +
      (previousKey ? `; ${describePreviousKeyOutcome(previousKey)}` : ""),
  });
  deps.logger.info("Session imported", {
    phone,
    format: parsed.format,
    userId: account.userId,
    apiId: identity.apiId,
    replaced,
  });
  return { session, replaced, ...(previousKey ? { previousKey } : {}) };
}
