/** Errors of the session store. Each message says what happened and what the operator can do next. */
import type { SessionStatus } from "./session";

export class SessionNotFoundError extends Error {
  constructor(readonly phone: string) {
    super(`No session for ${phone}. List the sessions to see which phones exist.`);
    this.name = "SessionNotFoundError";
  }
}

export class SessionExistsError extends Error {
  constructor(
    readonly phone: string,
    readonly status: SessionStatus,
  ) {
    super(
      `A session for ${phone} already exists (status ${status}). ` +
        "Delete it first, or log in again to replace it.",
    );
    this.name = "SessionExistsError";
  }
}

/** Somebody else changed the session since it was read. Nothing was written. */
export class StaleVersionError extends Error {
  constructor(
    readonly phone: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `The session ${phone} was changed by someone else meanwhile (version ${actual}, expected ${expected}). ` +
        "Nothing was written; open it again and retry.",
    );
    this.name = "StaleVersionError";
  }
}

export class LeaseHeldError extends Error {
  constructor(
    readonly phone: string,
    readonly owner: string,
    readonly until: string,
  ) {
    super(
      `The session ${phone} is in use by another job until ${until}. ` +
        "Telegram kills a session used on two connections at once, so this use was refused; try again after that time.",
    );
    this.name = "LeaseHeldError";
  }
}

export class InvalidCursorError extends Error {
  constructor() {
    super(
      "The page cursor is not valid (it may be from an older version). Start the list again from the first page.",
    );
    this.name = "InvalidCursorError";
  }
}

/**
 * The phone's previous key is still being logged out at Telegram (its deleted session keeps the ciphertext until the
 * logout is confirmed or given up): a new session would overwrite the only way to end it. Nothing was written.
 */
export class RevocationPendingError extends Error {
  constructor(
    readonly phone: string,
    readonly giveUpAt: string | undefined,
  ) {
    super(
      `The previous session of ${phone} was deleted but its logout at Telegram is not confirmed yet. ` +
        `Retry the pending logouts (\`sessions revoke-pending\`) when Telegram is reachable, then add it again` +
        (giveUpAt ? `; after ${giveUpAt} it is given up and the phone is free.` : "."),
    );
    this.name = "RevocationPendingError";
  }
}
