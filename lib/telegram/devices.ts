/**
 * The account's other devices, through its stored session: list every authorization (`account.getAuthorizations`),
 * end one (`account.resetAuthorization`) or all but ours (`auth.resetAuthorizations`). Each runs as one use of the
 * session (`useSession`: its lease, a deadline, failures written back as any use writes them).
 *
 * Telegram refuses to end other authorizations from a key younger than 24 h (406
 * FRESH_RESET_AUTHORISATION_FORBIDDEN): that is an answer, not a failure, and it says from when it will work, read
 * from our own authorization's creation date (the one flagged current).
 */
import { Api } from "telegram";
import { RPCError } from "telegram/errors";
import { returnBigInt } from "telegram/Helpers";
import type { Phone } from "../sessions/phone";
import type { Session } from "../sessions/session";
import { readDevices } from "./account-state";
import { FRESH_KEY_MS } from "./authorization-set";
import type { OpenUserbot } from "./client";
import type { AccountDevices, CheckOptions, EndAuthorizationOutcome } from "./contract";
import type { ResolvedDeps } from "./deps";
import { useSession } from "./userbot";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An authorization hash that is not a 64-bit whole number: refused before Telegram is asked. */
export class InvalidAuthorizationHashError extends Error {
  constructor(readonly hash: string) {
    super(`"${hash}" is not an authorization hash; copy it from the device list (a whole number).`);
    this.name = "InvalidAuthorizationHashError";
  }
}

export { readDevices, toAccountDevices, toDeviceAuthorization } from "./account-state";

export function listDevices(
  deps: ResolvedDeps,
  phone: Phone,
  options: CheckOptions,
): Promise<AccountDevices> {
  return useSession(deps, phone, (userbot) => readDevices(userbot, deps.now()), options);
}

export function endDevice(
  deps: ResolvedDeps,
  phone: Phone,
  hash: string,
  options: CheckOptions,
): Promise<EndAuthorizationOutcome> {
  const value = /^-?\d{1,20}$/.test(hash.trim()) ? BigInt(hash.trim()) : undefined;
  if (value === undefined || value < INT64_MIN || value > INT64_MAX || value === 0n) {
    return Promise.reject(new InvalidAuthorizationHashError(hash));
  }
  return ending(deps, phone, options, "Session device ended", { hash: value.toString() }, (userbot) =>
    userbot.client.invoke(new Api.account.ResetAuthorization({ hash: returnBigInt(value.toString()) })),
  );
}

export function endOtherDevices(
  deps: ResolvedDeps,
  phone: Phone,
  options: CheckOptions,
): Promise<EndAuthorizationOutcome> {
  return ending(deps, phone, options, "Session other devices ended", {}, (userbot) =>
    userbot.client.invoke(new Api.auth.ResetAuthorizations()),
  );
}

async function ending(
  deps: ResolvedDeps,
  phone: Phone,
  options: CheckOptions,
  logMessage: string,
  logFields: Record<string, string>,
  reset: (userbot: OpenUserbot) => Promise<unknown>,
): Promise<EndAuthorizationOutcome> {
  const outcome = await useSession(
    deps,
    phone,
    async (userbot): Promise<EndAuthorizationOutcome> => {
      try {
        await reset(userbot);
        return { outcome: "ended" };
      } catch (err) {
        if (!(err instanceof RPCError)) throw err;
        if (err.errorMessage === "HASH_INVALID") return { outcome: "not-found" };
        if (err.errorMessage !== "FRESH_RESET_AUTHORISATION_FORBIDDEN") throw err;
        return { outcome: "too-fresh", possibleFrom: await possibleFrom(userbot, userbot.row) };
      }
    },
    options,
  );
  deps.logger.info(logMessage, { phone, outcome: outcome.outcome, ...logFields });
  return outcome;
}

/**
 * 24 h after our key's authorization was created, as Telegram lists it. Should that read fail, 24 h after the row
 * was stored: the key is at least that old (it was logged in before it was stored), so that time is never early.
 */
async function possibleFrom(userbot: OpenUserbot, row: Session): Promise<string> {
  try {
    const result = await userbot.client.invoke(new Api.account.GetAuthorizations());
    const ours = result.authorizations.find((a) => a.current === true);
    if (ours) return new Date(ours.dateCreated * 1000 + FRESH_KEY_MS).toISOString();
  } catch {
    // Fall through to what the row knows.
  }
  return new Date(Date.parse(row.createdAt) + FRESH_KEY_MS).toISOString();
}
