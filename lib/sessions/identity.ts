/**
 * Checking a device identity before it is stored: the same rules as the deployment's defaults (lib/config.ts), so a
 * session never presents something Telegram would refuse or an operator could not read back.
 */
import { DEVICE_IDENTITY_FIELDS, type DeviceIdentity } from "./session";

export class InvalidIdentityError extends Error {
  constructor(reason: string) {
    super(`This identity cannot be used: ${reason}. Nothing was changed.`);
    this.name = "InvalidIdentityError";
  }
}

const TEXT = /^[\x20-\x7e]{1,64}$/;
const LANG = /^[a-z]{2}$/;

/** Returns the identity trimmed, or throws `InvalidIdentityError` naming the field that is wrong. */
export function validateDeviceIdentity(device: DeviceIdentity): DeviceIdentity {
  const out: Record<string, string> = {};
  for (const field of DEVICE_IDENTITY_FIELDS) {
    const value = String(device[field] ?? "").trim();
    const lang = field === "langCode" || field === "systemLangCode";
    if (lang ? !LANG.test(value) : !TEXT.test(value)) {
      throw new InvalidIdentityError(
        lang
          ? `${field} must be two lowercase letters such as en, not "${value}"`
          : `${field} must be 1 to 64 printable ASCII characters, not "${value}"`,
      );
    }
    out[field] = value;
  }
  return out as unknown as DeviceIdentity;
}
