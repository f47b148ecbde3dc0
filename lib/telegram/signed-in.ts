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
 *
 * A key replaced (issue 16): a stored key is a live credential until Telegram logs it out, so the old key is logged
 * out once the new one is stored. The write that stores the new key also moves the old ciphertext to a replaced-key
 * item whose logout is pending (one transaction: `SessionRepository.replaceKey`), so the old key is never destroyed
 * here while it may be alive there. Then `auth.logOut` with the old key (`retryReplacedKey`): confirmed, the item and
 * its ciphertext are deleted; not confirmed, the item stays pending and the cleanup and `sessions revoke-pending`
 * retry it until its give-up date. A failed login writes nothing, so its old row and key are untouched. A key stored
 * by an earlier try (its answer lost, or a step resumed) finds the phone's replaced keys no logout was tried for yet,
 * and tries them.
 */
import { RevocationPendingError, SessionExistsError, StaleVersionError } from "../sessions/errors";
import type { Phone } from "../sessions/phone";
import type { ProxySettings } from "../sessions/proxy";
import type { ReplacedKey, SessionIdentity } from "../sessions/repository";
import { RevocationSettledError } from "../sessions/revocation";
import type { Session, TelegramAccount } from "../sessions/session";
import type { PreviousKeyOutcome } from "./contract";
import type { ResolvedDeps } from "./deps";
import { retryReplacedKey } from "./revocation";
import { sameAuthKey } from "./session-string";

/** Limit of the old key's logout after a login or an import (the AdminBot's Lambda has 30 s, a login step 20). */
export const PREVIOUS_KEY_LOGOUT_DEADLINE_MS = 8_000;

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
  /** When it replaced a stored key: what became of that key at Telegram. */
  readonly previousKey?: PreviousKeyOutcome;
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
  options: {
    readonly replacedHint?: boolean;
    /** Who stores it, for the audit entry of the old key's logout. */
    readonly actor: string;
    /** Limit of the old key's logout. Default PREVIOUS_KEY_LOGOUT_DEADLINE_MS. */
    readonly logoutDeadlineMs?: number;
  },
): Promise<StoredKey> {
  const { replacedKey, ...stored } = await store(deps, key, options.replacedHint);
  const previousKey = await endReplacedKeys(deps, key.phone, replacedKey, stored.written, {
    actor: options.actor,
    deadlineMs: options.logoutDeadlineMs ?? PREVIOUS_KEY_LOGOUT_DEADLINE_MS,
  });
  return {
    ...stored,
    ...(previousKey ? { previousKey, replaced: true } : {}),
  };
}

type Written = Omit<StoredKey, "previousKey"> & {
  /** The old key moved aside by this write; undefined when none was, or when the write's answer was lost. */
  readonly replacedKey?: ReplacedKey;
};

async function store(deps: ResolvedDeps, key: SignedInKey, replacedHint?: boolean): Promise<Written> {
  const { phone } = key;
  let existing: Session | undefined;
  try {
    existing = await deps.sessions.get(phone);
    if (existing && existing.status !== "deleted" && (await holds(deps, phone, key.sessionString))) {
      return { session: existing, replaced: replacedHint ?? false, written: false };
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
async function write(deps: ResolvedDeps, key: SignedInKey, existing: Session | undefined): Promise<Written> {
  const { phone } = key;
  for (let attempt = 1; ; attempt++) {
    try {
      if (existing && existing.status !== "deleted") {
        const { session, replacedKey } = await deps.sessions.replaceKey(
          phone,
          key.sessionString,
          key.account,
          key.identity,
          existing,
          key.proxy,
        );
        return { session, replaced: true, written: true, ...(replacedKey ? { replacedKey } : {}) };
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

/**
 * True when the phone's stored (non-deleted) session is `sessionString`'s auth key (the same string, or the same key
 * written with another address, as an import of the stored key in another format is).
 */
export async function holds(deps: ResolvedDeps, phone: Phone, sessionString: string): Promise<boolean> {
  const row = await deps.sessions.get(phone);
  if (!row || row.status === "deleted") return false;
  return sameAuthKey(await deps.sessions.readSessionString(phone), sessionString);
}

/**
 * Logs out the old key this store moved aside (`replacedKey`), or, for a key stored by an earlier try or whose write's
 * answer was lost, the phone's replaced keys no logout was tried for yet (found on the `byRevocation` index). Never
 * throws: a failure leaves the item pending for the cleanup, and says so.
 */
async function endReplacedKeys(
  deps: ResolvedDeps,
  phone: Phone,
  replacedKey: ReplacedKey | undefined,
  written: boolean,
  options: { readonly actor: string; readonly deadlineMs: number },
): Promise<PreviousKeyOutcome | undefined> {
  let keys: readonly ReplacedKey[];
  if (replacedKey) keys = [replacedKey];
  else {
    try {
      const page = await deps.sessions.listPendingReplacedKeys({ phone, limit: 100 });
      keys = page.items.filter((k) => k.revocation.attempts === 0);
    } catch (err) {
      deps.logger.warn("Replaced keys not looked up; the cleanup retries their logout", {
        phone,
        error: err instanceof Error ? err.name : "Error",
        written,
      });
      return undefined;
    }
  }
  let outcome: PreviousKeyOutcome | undefined;
  for (const key of keys) {
    outcome = (await endReplacedKey(deps, key, options)) ?? outcome;
  }
  return outcome;
}

async function endReplacedKey(
  deps: ResolvedDeps,
  key: ReplacedKey,
  options: { readonly actor: string; readonly deadlineMs: number },
): Promise<PreviousKeyOutcome | undefined> {
  try {
    const { revocation, state } = await retryReplacedKey(deps, key, options);
    if (state.state === "pending")
      return { outcome: "pending", retryUntil: state.giveUpAt, reason: state.lastError };
    if (revocation.outcome === "already-dead") return { outcome: "already-dead", code: revocation.code };
    return { outcome: "logged-out" };
  } catch (err) {
    if (err instanceof RevocationSettledError) return undefined;
    // The logout's record was not written (whatever Telegram answered, the item still says pending): the cleanup
    // tries again, and finds the key already dead if it was logged out.
    const name = err instanceof Error ? err.name : "Error";
    deps.logger.warn("Replaced key's logout not recorded; the cleanup retries it", {
      phone: key.phone,
      error: name,
    });
    return {
      outcome: "pending",
      retryUntil: key.revocation.giveUpAt,
      reason: `its outcome could not be recorded (${name})`,
    };
  }
}

/** What became of the previous key, for an audit entry's detail (no secret: Telegram's error names only). */
export function describePreviousKeyOutcome(outcome: PreviousKeyOutcome): string {
  switch (outcome.outcome) {
    case "logged-out":
      return "the previous key was logged out at Telegram";
    case "already-dead":
      return `Telegram already refused the previous key (${outcome.code})`;
    case "pending":
      return (
        `the previous key could not be logged out at Telegram (${outcome.reason}); ` +
        `the logout is retried until ${outcome.retryUntil}`
      );
  }
}
