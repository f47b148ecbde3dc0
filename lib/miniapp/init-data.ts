/**
 * Telegram Mini App `initData`: the query string Telegram hands the page, signed with the bot token. As Telegram
 * documents it (core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
 *
 *   data_check_string = every field but `hash`, as `key=value` (value URL-decoded), sorted by key, joined by "\n"
 *   secret_key        = HMAC_SHA256(key = "WebAppData", message = bot_token)
 *   hash              = hex(HMAC_SHA256(key = secret_key, message = data_check_string))
 *
 * (`signature`, Telegram's Ed25519 signature for third parties, is one of the fields and so is covered.) The hash is
 * compared in constant time, and `auth_date` must be recent: a captured initData is worthless after `maxAgeSeconds`.
 * Nothing here reads the database; a refusal costs one HMAC.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * How long after Telegram signed it (the page being opened) an initData is accepted: a login's code step lasts at
 * most 10 minutes, and a page kept open longer is asked to be opened again. A captured initData is worthless after.
 */
export const INIT_DATA_MAX_AGE_SECONDS = 15 * 60;
/** Clock skew allowed for an `auth_date` in the future. */
const FUTURE_SKEW_SECONDS = 60;
/** Longer than any real initData (a few hundred bytes): refused unread. */
const MAX_INIT_DATA_LENGTH = 4096;

export interface MiniAppUser {
  readonly id: number;
  readonly languageCode?: string;
}

export type InitDataCheck =
  | { readonly ok: true; readonly user: MiniAppUser; readonly authDate: Date }
  | {
      readonly ok: false;
      /** missing/malformed: not an initData; signature: not signed with our token; expired/future: auth_date. */
      readonly reason: "missing" | "malformed" | "signature" | "expired" | "future";
    };

export function initDataSecretKey(botToken: string): Buffer {
  return createHmac("sha256", "WebAppData").update(botToken).digest();
}

/** The data-check-string of `fields` (everything but `hash`). */
export function dataCheckString(fields: URLSearchParams): string {
  return [...fields.entries()]
    .filter(([key]) => key !== "hash")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");
}

export function verifyInitData(
  raw: unknown,
  botToken: string,
  options: { readonly now: Date; readonly maxAgeSeconds?: number },
): InitDataCheck {
  if (typeof raw !== "string" || raw.length === 0) return { ok: false, reason: "missing" };
  if (raw.length > MAX_INIT_DATA_LENGTH) return { ok: false, reason: "malformed" };
  const fields = new URLSearchParams(raw);
  const hash = fields.getAll("hash");
  // One hash, 64 hex digits; and no field twice (which one the sorting would keep is ambiguous).
  const keys = [...fields.keys()];
  if (hash.length !== 1 || !/^[0-9a-f]{64}$/.test(hash[0]!) || new Set(keys).size !== keys.length) {
    return { ok: false, reason: "malformed" };
  }
  const expected = createHmac("sha256", initDataSecretKey(botToken)).update(dataCheckString(fields)).digest();
  if (!timingSafeEqual(expected, Buffer.from(hash[0]!, "hex"))) return { ok: false, reason: "signature" };

  // Signed by Telegram from here on; still, read it defensively.
  const authDate = Number(fields.get("auth_date"));
  if (!Number.isInteger(authDate) || authDate <= 0) return { ok: false, reason: "malformed" };
  const age = options.now.getTime() / 1000 - authDate;
  if (age > (options.maxAgeSeconds ?? INIT_DATA_MAX_AGE_SECONDS)) return { ok: false, reason: "expired" };
  if (age < -FUTURE_SKEW_SECONDS) return { ok: false, reason: "future" };
  let user: unknown;
  try {
    user = JSON.parse(fields.get("user") ?? "");
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const id = (user as { id?: unknown } | null)?.id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id <= 0)
    return { ok: false, reason: "malformed" };
  const languageCode = (user as { language_code?: unknown }).language_code;
  return {
    ok: true,
    user: { id, ...(typeof languageCode === "string" ? { languageCode } : {}) },
    authDate: new Date(authDate * 1000),
  };
}
