/**
 * The account's other authorizations as a set, for the daily check: a fingerprint (their hashes) kept with the
 * session, and what is new since the last one. Pure, and free of GramJS, so the jobs can diff without loading it.
 *
 * Our own key's authorization is left out of the fingerprint: it is never a stranger's login, and whether Telegram
 * reports its real hash or 0 for it (clients differ on this) must not make the set look changed.
 */
import type { AccountDevices, AuthorizationFingerprint, DeviceAuthorization } from "./contract";

/** Telegram refuses to end other authorizations from a key younger than this (FRESH_RESET_AUTHORISATION_FORBIDDEN). */
export const FRESH_KEY_MS = 24 * 60 * 60 * 1000;

export function authorizationFingerprint(
  authorizations: readonly DeviceAuthorization[],
): AuthorizationFingerprint {
  return [...new Set(authorizations.filter((a) => !a.current).map((a) => a.hash))].sort();
}

/**
 * The authorizations that were not there at the last check (`previous`), ours excluded. With no previous
 * fingerprint (the first check of a session) nothing is new: the first set is the baseline, not a takeover.
 */
export function newAuthorizations(
  previous: AuthorizationFingerprint | undefined,
  devices: Pick<AccountDevices, "authorizations">,
): DeviceAuthorization[] {
  if (previous === undefined) return [];
  const known = new Set(previous);
  return devices.authorizations.filter((a) => !a.current && !known.has(a.hash));
}

/** True when two fingerprints name the same set. */
export function sameFingerprint(
  a: AuthorizationFingerprint | undefined,
  b: AuthorizationFingerprint,
): boolean {
  return a !== undefined && a.length === b.length && a.every((hash, i) => hash === b[i]);
}

/**
 * From when our key may end other authorizations: 24 h after its creation (`createdAt` of the authorization flagged
 * current). Undefined when that moment has passed at `now`.
 */
export function endOthersPossibleFrom(createdAt: string, now: Date): string | undefined {
  const from = Date.parse(createdAt) + FRESH_KEY_MS;
  if (!Number.isFinite(from) || from <= now.getTime()) return undefined;
  return new Date(from).toISOString();
}

/** "Xiaomi 13 (Android 14)": the model, then the system when Telegram says. */
export function deviceText(
  a: Pick<DeviceAuthorization, "deviceModel" | "platform" | "systemVersion">,
): string {
  const system = [a.platform, a.systemVersion].filter(Boolean).join(" ");
  if (!a.deviceModel) return system || "?";
  return system ? `${a.deviceModel} (${system})` : a.deviceModel;
}
