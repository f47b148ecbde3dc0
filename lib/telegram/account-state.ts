/**
 * What getMe cannot see about an account, read during its check:
 *   - a freeze (since 2025 Telegram freezes accounts; getMe still answers on a frozen one): `help.getAppConfig`
 *     carries `freeze_since_date`, `freeze_until_date` and `freeze_appeal_url` in its JSON object while the account
 *     is frozen (core.telegram.org/api/auth#frozen-accounts);
 *   - the account's authorizations (`account.getAuthorizations`): who else is logged in, and how long an unused
 *     session lives (`authorization_ttl_days`);
 *   - whether it has a 2FA password (`account.getPassword`).
 *
 * Both are extra information beside getMe's verdict: a refusal that is not a FROZEN_* error leaves them unknown
 * (the check stays healthy, the row keeps what it had), so an old or odd server never turns a working key into a
 * failure.
 */
import { Api } from "telegram";
import type { AccountFreeze } from "../sessions/session";
import type { OpenUserbot } from "./client";
import { authorizationFingerprint, endOthersPossibleFrom } from "./authorization-set";
import type { AccountDevices, ClassifiedFailure, DeviceAuthorization, TwoFaPosture } from "./contract";
import { classifyError } from "./errors";

/** A freeze as Telegram reports it (`detectedAt` is ours, added by the check). */
export type ReportedFreeze = Omit<AccountFreeze, "detectedAt">;

/** What the app config says: frozen (with what Telegram gives), not frozen, or unknown (not asked, or failed). */
export type FreezeReading =
  | { readonly state: "frozen"; readonly freeze: ReportedFreeze }
  | { readonly state: "not-frozen" }
  | { readonly state: "unknown"; readonly failure?: ClassifiedFailure };

function jsonEntries(value: Api.TypeJSONValue): Map<string, Api.TypeJSONValue> {
  const entries = new Map<string, Api.TypeJSONValue>();
  if (value instanceof Api.JsonObject) for (const e of value.value) entries.set(e.key, e.value);
  return entries;
}

function unixDate(value: Api.TypeJSONValue | undefined): string | undefined {
  if (!(value instanceof Api.JsonNumber) || !Number.isFinite(value.value) || value.value <= 0)
    return undefined;
  return new Date(value.value * 1000).toISOString();
}

function text(value: Api.TypeJSONValue | undefined): string | undefined {
  return value instanceof Api.JsonString && value.value.length > 0 ? value.value : undefined;
}

/** Reads the freeze keys of an app config; no `freeze_*` key means not frozen. Exported for the unit tests. */
export function freezeFromAppConfig(config: Api.TypeJSONValue): FreezeReading {
  const entries = jsonEntries(config);
  const since = unixDate(entries.get("freeze_since_date"));
  const until = unixDate(entries.get("freeze_until_date"));
  const appealUrl = text(entries.get("freeze_appeal_url"));
  if (since === undefined && until === undefined && appealUrl === undefined) return { state: "not-frozen" };
  return {
    state: "frozen",
    freeze: {
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      ...(appealUrl ? { appealUrl } : {}),
    },
  };
}

export async function readFreeze(userbot: OpenUserbot): Promise<FreezeReading> {
  try {
    // hash 0: always the full config (a cached hash would answer "not modified" and hide the keys).
    const result = await userbot.client.invoke(new Api.help.GetAppConfig({ hash: 0 }));
    if (!(result instanceof Api.help.AppConfig)) return { state: "unknown" };
    return freezeFromAppConfig(result.config);
  } catch (err) {
    const failure = classifyError(err);
    // A frozen account may be refused the call itself.
    if (failure.kind === "frozen") return { state: "frozen", freeze: {} };
    return { state: "unknown", failure };
  }
}

function unixToIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** Telegram's authorization as the plain record the rest of the system reads. */
export function toDeviceAuthorization(a: Api.Authorization): DeviceAuthorization {
  return {
    hash: a.hash.toString(),
    current: a.current === true,
    officialApp: a.officialApp === true,
    passwordPending: a.passwordPending === true,
    deviceModel: a.deviceModel,
    platform: a.platform,
    systemVersion: a.systemVersion,
    appName: a.appName,
    appVersion: a.appVersion,
    apiId: a.apiId,
    country: a.country,
    region: a.region,
    createdAt: unixToIso(a.dateCreated),
    lastActiveAt: unixToIso(a.dateActive),
  };
}

/** The account's authorizations, ours first, with the fingerprint and (for a young key) when resets will work. */
export function toAccountDevices(result: Api.account.Authorizations, now: Date): AccountDevices {
  const all = result.authorizations.map(toDeviceAuthorization);
  const authorizations = [...all.filter((a) => a.current), ...all.filter((a) => !a.current)];
  const ours = authorizations.find((a) => a.current);
  const possibleFrom = ours ? endOthersPossibleFrom(ours.createdAt, now) : undefined;
  const ttl = result.authorizationTtlDays;
  return {
    authorizations,
    fingerprint: authorizationFingerprint(authorizations),
    ...(Number.isInteger(ttl) && ttl > 0 ? { ttlDays: ttl } : {}),
    ...(possibleFrom ? { endOthersPossibleFrom: possibleFrom } : {}),
  };
}

export async function readDevices(userbot: OpenUserbot, now: Date): Promise<AccountDevices> {
  return toAccountDevices(await userbot.client.invoke(new Api.account.GetAuthorizations()), now);
}

export async function readTwoFa(userbot: OpenUserbot): Promise<TwoFaPosture> {
  const password = await userbot.client.invoke(new Api.account.GetPassword());
  return {
    hasPassword: password.hasPassword === true,
    ...(password.hint ? { hint: password.hint } : {}),
  };
}
