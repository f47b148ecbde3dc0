/**
 * The one "signed in → stored" step, shared by the phone login, the QR login and the import: a key Telegram has
 * signed in (or an imported one proven with getMe) becomes the phone's session: a new `active` one, or the new key of
 * the phone's existing one (`relogin`).
 *
 * One recovery rule for a write that fails: the step reads back whether the phone's row holds the new key. Held, it
 * was stored (only the answer was lost) and the step goes on as if the write had answered. Not held, nothing was
 * stored, the phone's row and its old key are untouched, and `KeyNotStoredError` says so: whoever holds the new key
 * decides what becomes of it (the phone login's flow, marked signed in, finishes it on the admin's next step; a QR
 * login or a login Telegram completed at once, whose flow is gone, logs the key out; an import leaves the operator's
 * string alone). A row that already holds the key (an earlier try stored it) is not written again.
 */
import { RevocationPendingError, SessionExistsError, StaleVersionError } from "../sessions/errors";
import type { Phone } from "../sessions/phone";
import type { ProxySettings } from "../sessions/proxy";
import type { SessionIdentity } from "../sessions/repository";
import type { Session, TelegramAccount } from "../sessions/session";
import type { ResolvedDeps } from "./deps";

/** A key Telegram accepted for `phone`'s account, and who it is there. */
export interface SignedInKey {
  readonly phone: Phone;
  readonly sessionString: string;
  readonly account: TelegramAccount;
  /** The device and API id the key presented when it was made (or proven): it keeps them from now on. */
  readonly identity: SessionIdentity;
  /** The proxy the key's login went through: the session keeps it (credentials encrypted). */
  readonly proxy?: ProxySettings;
}

/** The key is the phone's session now. */
export interface StoredKey {
  readonly session: Session;
  /** True when it replaced the phone's earlier session (a login again, an import over it). */
  readonly replaced: boolean;
  /** False when an earlier try had stored it already (nothing was written this time). */
  readonly written: boolean;
}

/** The new key was not stored: the phone's session (if any) is as it was. */
export class KeyNotStoredError extends Error {
  constructor(
    readonly phone: Phone,
    /** The class name of what failed (never its text, which could quote a request). */
    readonly failure: string,
    /** A refusal that says what to do (the phone's deleted session still waits for its logout), as its message. */
    refusal?: string,
  ) {
    super(
      refusal ??
        `The new key for ${phone} could not be stored (${failure}); the phone's session is unchanged.`,
    );
    this.name = "KeyNotStoredError";
  }
}

/** Writes after which the row is read again and the write tried once more (another writer changed it meanwhile). */
const STORE_TRIES = 3;

/**
 * Stores `key` as `key.phone`'s session (see the file's comment). `replacedHint`: whether an earlier try found a
 * session to replace, for a key that try stored already (the phone login's flow remembers it).
 * Throws only `KeyNotStoredError` (then nothing was stored).
 */
export async function storeSignedIn(
  deps: ResolvedDeps,
  key: SignedInKey,
  options: { readonly replacedHint?: boolean } = {},
): Promise<StoredKey> {
  const { phone } = key;
  let existing: Session | undefined;
  try {
    existing = await deps.sessions.get(phone);
    if (existing && existing.status !== "deleted" && (await holds(deps, phone, key.sessionString))) {
      return { session: existing, replaced: options.replacedHint ?? false, written: false };
    }
    return await write(deps, key, existing);
  } catch (err) {
    const name = err instanceof Error ? err.name : "Error";
    if (err instanceof RevocationPendingError) {
      deps.logger.info("Signed-in key not stored: the phone's deleted session waits for its logout", {
        phone,
      });
      throw new KeyNotStoredError(phone, name, err.message);
    }
    // The one recovery rule: held, it was stored; not held, nothing was.
    const stored = await holds(deps, phone, key.sessionString).catch(() => false);
    if (!stored) {
      deps.logger.warn("Signed-in key not stored", { phone, error: name });
      throw new KeyNotStoredError(phone, name);
    }
    deps.logger.info("Signed-in key stored although a step of its write failed (its answer was lost)", {
      phone,
      error: name,
    });
    const session = await deps.sessions.require(phone).catch(() => undefined);
    if (!session) throw new KeyNotStoredError(phone, name);
    return { session, replaced: existing !== undefined && existing.status !== "deleted", written: true };
  }
}

/** The write itself: a new session, or the new key of the existing one, read again when another writer got there. */
async function write(
  deps: ResolvedDeps,
  key: SignedInKey,
  existing: Session | undefined,
): Promise<StoredKey> {
  const { phone } = key;
  for (let attempt = 1; ; attempt++) {
    try {
      if (existing && existing.status !== "deleted") {
        const session = await deps.sessions.relogin(
          phone,
          key.sessionString,
          key.account,
          existing.version,
          key.identity,
          key.proxy,
        );
        return { session, replaced: true, written: true };
      }
      const session = await deps.sessions.create({
        phone,
        sessionString: key.sessionString,
        account: key.account,
        identity: key.identity,
        ...(key.proxy ? { proxy: key.proxy } : {}),
      });
      return { session, replaced: false, written: true };
    } catch (err) {
      // Another writer changed the row between the read and the write (a check's bookkeeping, another login):
      // read again and write over what is there now.
      if ((err instanceof StaleVersionError || err instanceof SessionExistsError) && attempt < STORE_TRIES) {
        existing = await deps.sessions.get(phone);
        continue;
      }
      throw err;
    }
  }
}

/** True when the phone's stored (non-deleted) session is `sessionString`. */
export async function holds(deps: ResolvedDeps, phone: Phone, sessionString: string): Promise<boolean> {
  const row = await deps.sessions.get(phone);
  if (!row || row.status === "deleted") return false;
  return (await deps.sessions.readSessionString(phone)) === sessionString;
}
