/**
 * The userbot layer's entry point. Callers import types from `./contract` and load this file lazily
 * (`await import("../telegram")`), so GramJS (~150 ms to load) stays off the AdminBot's ordinary button presses.
 */
import type { Phone } from "../sessions/phone";
import type { OpenUserbot } from "./client";
import type { RestrictionReading } from "../sessions/session";
import type { CheckOptions, LoginService, QrLoginService, UserbotService } from "./contract";
import { resolveDeps, type UserbotDeps } from "./deps";
import { endDevice, endOtherDevices, listDevices } from "./devices";
import { importSession } from "./import-session";
import { StatelessLogin } from "./login";
import { StatelessQrLogin } from "./qr-login";
import { testProxy, type ProxyTestOutcome } from "./proxy-test";
import { deleteSession, retryReplacedKey, retryRevocation, revokeSession } from "./revocation";
import { checkRestriction } from "./spambot";
import { setTwoFaPassword, twoFaPosture } from "./two-fa";
import { checkSession, useSession, type UserbotJob, type WithUserbotOptions } from "./userbot";

export interface UserbotServices {
  readonly login: LoginService;
  /** Login by QR code, one stateless step per call, like `login`. */
  readonly qr: QrLoginService;
  readonly userbots: UserbotService;
  /** Runs one job on a stored session under its lease and a deadline (see `useSession`). */
  withUserbot<T>(phone: Phone, job: UserbotJob<T>, options: WithUserbotOptions): Promise<T>;
  /**
   * Whether Telegram is reachable through the session's proxy and how fast, on a connection of its own (never the
   * session's key or lease). Throws `SessionNotFoundError` or `NoProxyError`.
   */
  testProxy(phone: Phone, options?: { readonly deadlineMs?: number }): Promise<ProxyTestOutcome>;
  /**
   * Sends /start to @SpamBot from the session, classifies its answer and stores it on the row (an owner's request
   * only: never part of the daily check). Throws what `withUserbot` throws.
   */
  checkRestriction(phone: Phone, options: CheckOptions): Promise<RestrictionReading>;
}

export function createUserbotServices(deps: UserbotDeps): UserbotServices {
  const resolved = resolveDeps(deps);
  return {
    login: new StatelessLogin(resolved),
    qr: new StatelessQrLogin(resolved),
    userbots: {
      checkSession: (phone, options) => checkSession(resolved, phone, options),
      importSession: (phone, sessionString, actor, options) =>
        importSession(resolved, phone, sessionString, actor, options),
      revokeSession: (phone, options) => revokeSession(resolved, phone, options),
      deleteSession: (phone, options) => deleteSession(resolved, phone, options),
      retryRevocation: (phone, options) => retryRevocation(resolved, phone, options),
      retryReplacedKey: (key, options) => retryReplacedKey(resolved, key, options),
      listDevices: (phone, options) => listDevices(resolved, phone, options),
      endDevice: (phone, hash, options) => endDevice(resolved, phone, hash, options),
      endOtherDevices: (phone, options) => endOtherDevices(resolved, phone, options),
      twoFaPosture: (phone, options) => twoFaPosture(resolved, phone, options),
      setTwoFaPassword: (phone, input, options) => setTwoFaPassword(resolved, phone, input, options),
      checkRestriction: (phone, options) => checkRestriction(resolved, phone, options),
    },
    withUserbot: (phone, job, options) => useSession(resolved, phone, job, options),
    testProxy: (phone, options) => testProxy(resolved, phone, options),
    checkRestriction: (phone, options) => checkRestriction(resolved, phone, options),
  };
}

export { classifyError, ConnectFailedError, DeadlineExceededError, FloodWaitPendingError } from "./errors";
export { SessionNotActiveError, UserbotFailedError } from "./errors";
export { clientParams, createTelegramClient, type CreateClient } from "./client";
export { InvalidSessionStringError, parseSessionString } from "./session-string";
export { InvalidImportError, SessionImportFailedError, WrongAccountError } from "./import-session";
export { ProxyFailedError } from "./errors";
export { NoProxyError, type ProxyTestOutcome } from "./proxy-test";
export { classifySpamBotReply } from "./spambot-reply";
export { DEFAULT_SPAMBOT_DEADLINE_MS } from "./spambot";
export { InvalidAuthorizationHashError } from "./devices";
export { InvalidTwoFaPasswordError } from "./two-fa";
export type { UserbotDeps } from "./deps";
export type { OpenUserbot, UserbotJob, WithUserbotOptions };
