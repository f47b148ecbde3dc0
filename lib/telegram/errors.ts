/**
 * What a failure of Telegram (or of the way to it) means for a session: dead, account gone, flood wait,
 * transient, or something else. Table-driven, on the error's fields (`errorMessage`, `code`, `seconds`) and
 * `instanceof`, never on `err.name`: esbuild renames GramJS's classes.
 *
 * The rule is Telegram's name, not the number: 401 also carries SESSION_PASSWORD_NEEDED and ACTIVE_USER_REQUIRED,
 * which are not dead keys, and 406 carries both the fatal AUTH_KEY_DUPLICATED and harmless errors.
 */
import {
  FloodTestPhoneWaitError,
  FloodWaitError,
  RPCError,
  ServerError,
  TimedOutError,
} from "telegram/errors";
import { DecryptionError } from "../crypto/envelope";
import type { Phone } from "../sessions/phone";
import type { Session } from "../sessions/session";
import type { ClassifiedFailure, FailureKind } from "./contract";

/** Telegram's names for an auth key that will never work again, with what the operator reads. */
const DEAD_SESSION: Readonly<Record<string, string>> = {
  AUTH_KEY_UNREGISTERED: "session expired or revoked; log in again",
  AUTH_KEY_INVALID: "the session's key is invalid; log in again",
  SESSION_REVOKED: "the session was terminated by the account owner or Telegram; log in again",
  SESSION_EXPIRED: "the session expired; log in again",
  AUTH_KEY_PERM_EMPTY: "the session's key is not a permanent key; log in again",
  AUTH_KEY_DUPLICATED:
    "the session was used on two connections at once and Telegram invalidated it; log in again, and use it from one place only",
};

const ACCOUNT_GONE: Readonly<Record<string, string>> = {
  USER_DEACTIVATED: "the Telegram account was deleted or deactivated; it cannot be logged in again",
  USER_DEACTIVATED_BAN:
    "the Telegram account was banned by Telegram; appeal (recover@telegram.org) before logging in again",
};

/** Telegram's own "try again later" names (its 5xx family), whatever code they arrive with. */
const TRANSIENT_RPC: Readonly<Record<string, string>> = {
  RPC_CALL_FAIL: "Telegram had an internal failure; it will be retried",
  RPC_MCGET_FAIL: "Telegram had an internal failure; it will be retried",
  TIMEOUT: "Telegram timed out; it will be retried",
  INTERNAL: "Telegram had an internal error; it will be retried",
  WORKER_BUSY_TOO_LONG_RETRY: "Telegram was too busy; it will be retried",
  AUTH_RESTART: "Telegram asked to restart; it will be retried",
};

/** Not dead keys although Telegram sends them as 401: the session needs a person, not a new check. */
const NOT_DEAD_401: Readonly<Record<string, string>> = {
  SESSION_PASSWORD_NEEDED:
    "the login of this session was never finished (its 2FA password is still pending); log in again",
  ACTIVE_USER_REQUIRED:
    "the account is not fully activated; finish its sign-up in an official app, then log in again",
};

/**
 * Telegram froze the account (core.telegram.org/api/auth#frozen-accounts): 420 FROZEN_METHOD_INVALID is not a flood
 * wait, whatever its number says. `help.getAppConfig` tells until when (`freeze_until_date`) and where to appeal.
 */
const FROZEN: Readonly<Record<string, string>> = {
  FROZEN_METHOD_INVALID:
    "Telegram froze this account: it can only read until the freeze is lifted; appeal through @SpamBot",
  FROZEN_PARTICIPANT_MISSING:
    "Telegram froze this account: it can no longer act in chats until the freeze is lifted; appeal through @SpamBot",
};

/** Connection-level failures of GramJS and Node: plain `Error`s (or a string), not RPC errors. */
const TRANSIENT_MESSAGES: readonly {
  readonly pattern: RegExp;
  readonly code: string;
  readonly message: string;
}[] = [
  { pattern: /^TIMEOUT$/, code: "TIMEOUT", message: "Telegram did not answer in time; it will be retried" },
  { pattern: /^Not connected$/, code: "NOT_CONNECTED", message: "the connection to Telegram dropped" },
  {
    pattern: /^Maximum reconnection retries reached/,
    code: "RECONNECT_FAILED",
    message: "the connection to Telegram broke and could not be restored",
  },
  {
    pattern: /^Request was unsuccessful \d+ time/,
    code: "REQUEST_RETRIES_EXHAUSTED",
    message: "Telegram kept failing the request (internal errors); it will be retried",
  },
  {
    pattern: /^Cannot send requests while disconnected/,
    code: "NOT_CONNECTED",
    message: "the connection to Telegram dropped",
  },
];

const NODE_NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);

/** `connect()` resolved false: GramJS gave up after its connection retries (it does not throw). */
export class ConnectFailedError extends Error {
  constructor() {
    super("Could not connect to Telegram (connection retries exhausted).");
    this.name = "ConnectFailedError";
  }
}

/**
 * `connect()` through the session's proxy failed: the proxy refused, is down, or could not reach Telegram. Transient
 * (the key is fine); says nothing of the proxy's credentials.
 */
export class ProxyFailedError extends Error {
  constructor() {
    super("Could not reach Telegram through the session's proxy.");
    this.name = "ProxyFailedError";
  }
}

/** The job did not finish within its deadline and was abandoned (the client was destroyed). */
export class DeadlineExceededError extends Error {
  constructor(readonly deadlineMs: number) {
    super(
      `Telegram did not finish within ${Math.round(deadlineMs / 100) / 10} s; the connection was closed.`,
    );
    this.name = "DeadlineExceededError";
  }
}

function failure(kind: FailureKind, code: string, detail: string, seconds?: number): ClassifiedFailure {
  return { kind, code, message: `${code}: ${detail}`, ...(seconds !== undefined ? { seconds } : {}) };
}

/** Classifies anything a GramJS call (or our wrapping of it) can throw. Never throws. */
export function classifyError(err: unknown): ClassifiedFailure {
  if (err instanceof FloodWaitError || err instanceof FloodTestPhoneWaitError) {
    // Its errorMessage is "FLOOD" (the base class overwrites it); `seconds` is what matters.
    return failure(
      "flood",
      "FLOOD_WAIT",
      `Telegram asks to wait ${err.seconds} s before the next request`,
      err.seconds,
    );
  }
  if (err instanceof ProxyFailedError) {
    return failure(
      "transient",
      "PROXY_FAILED",
      "Telegram could not be reached through the session's proxy; it will be retried (test the proxy, or clear it)",
    );
  }
  if (err instanceof ConnectFailedError) {
    return failure("transient", "CONNECT_FAILED", "could not connect to Telegram; it will be retried");
  }
  if (err instanceof DeadlineExceededError) {
    return failure("transient", "TIMEOUT", `Telegram did not finish within ${err.deadlineMs} ms`);
  }
  if (err instanceof DecryptionError) {
    return failure("dead", "SESSION_UNREADABLE", "the stored session could not be decrypted; log in again");
  }
  if (err instanceof RPCError) {
    const name = err.errorMessage;
    const dead = DEAD_SESSION[name];
    if (dead) return failure("dead", name, dead);
    const gone = ACCOUNT_GONE[name];
    if (gone) return failure("account-gone", name, gone);
    const frozen = FROZEN[name];
    if (frozen) return failure("frozen", name, frozen);
    const notDead = NOT_DEAD_401[name];
    if (notDead) return failure("other", name, notDead);
    const transient = TRANSIENT_RPC[name];
    if (transient) return failure("transient", name, transient);
    const code = err.code ?? 0;
    if (err instanceof ServerError || err instanceof TimedOutError || code >= 500 || code <= -500) {
      return failure("transient", name || `RPC_${code}`, `Telegram answered ${code}; it will be retried`);
    }
    return failure("other", name || `RPC_${code}`, `Telegram refused the request (${code})`);
  }
  // GramJS rejects pending requests with a bare string when reconnection fails.
  const text = typeof err === "string" ? err : err instanceof Error ? err.message : undefined;
  if (text !== undefined) {
    for (const t of TRANSIENT_MESSAGES)
      if (t.pattern.test(text)) return failure("transient", t.code, t.message);
  }
  const nodeCode = (err as { code?: unknown } | null)?.code;
  if (typeof nodeCode === "string" && NODE_NETWORK_CODES.has(nodeCode)) {
    return failure("transient", nodeCode, "the network to Telegram failed; it will be retried");
  }
  return failure("other", "UNEXPECTED", "an unexpected error happened; see the logs");
}

/** Thrown by `withUserbot` when the job failed; says what it meant and what it did to the session. */
export class UserbotFailedError extends Error {
  constructor(
    readonly phone: Phone,
    readonly failure: ClassifiedFailure,
    /** The session as left by this failure: `error` when it was marked, otherwise with its counters. */
    readonly session: Session | undefined,
    /** True when this failure moved the session to `error`. */
    readonly markedError: boolean,
    options?: { cause?: unknown },
  ) {
    super(`${phone}: ${failure.message}`, options);
    this.name = "UserbotFailedError";
  }
}

/** `withUserbot` refused: the session is not `active` (paused, in error, or deleted). */
export class SessionNotActiveError extends Error {
  constructor(
    readonly phone: Phone,
    readonly status: Session["status"],
    lastError?: string,
  ) {
    super(
      status === "paused"
        ? `The session ${phone} is paused; resume it before using it.`
        : status === "error"
          ? `The session ${phone} is in error (${lastError ?? "no reason kept"}); delete it and log in again.`
          : `The session ${phone} is ${status}; add it again with a new login.`,
    );
    this.name = "SessionNotActiveError";
  }
}

/** `withUserbot` refused: Telegram asked this session to wait, and the wait is not over. */
export class FloodWaitPendingError extends Error {
  constructor(
    readonly phone: Phone,
    readonly until: string,
  ) {
    super(`The session ${phone} is in a Telegram flood wait until ${until}; try again after that.`);
    this.name = "FloodWaitPendingError";
  }
}
