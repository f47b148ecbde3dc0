/**
 * Phone numbers, normalised once at the edge (bot, CLI, API) to E.164: "+998901234567". Every table key and every
 * log line uses this form, so "+998 90 123-45-67" and "998901234567" are the same session.
 *
 * This module carries libphonenumber's metadata (about 200 KB): code on the webhook's cold path imports the type,
 * the error and the key check from ./phone-form.ts instead, and this module where a typed number is read.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { InvalidPhoneError, type Phone } from "./phone-form";

export { InvalidPhoneError, isPhoneKey, type Phone } from "./phone-form";

/** Telegram's test data centres accept 99966XYYYY numbers, which no numbering plan knows. */
const TELEGRAM_TEST_NUMBER = /^\+99966\d{5}$/;

/**
 * Anonymous numbers bought on Fragment (fragment.com): +888 and eight digits. No numbering plan lists them, yet they
 * log in like any other (the code arrives on Fragment: `SentCodeTypeFragmentSms`).
 */
const FRAGMENT_NUMBER = /^\+888\d{8}$/;

/**
 * Normalises a phone number typed by a person: spaces, dashes, dots and brackets are ignored; a leading `00` or a
 * missing `+` is read as an international prefix. Throws `InvalidPhoneError` for anything that is not a valid
 * number of a real numbering plan (or a Fragment or Telegram test number).
 */
export function normalizePhone(input: string): Phone {
  const trimmed = input.trim();
  if (trimmed.length === 0 || trimmed.length > 32 || !/^[+\d\s().-]+$/.test(trimmed)) {
    throw new InvalidPhoneError(input);
  }
  let digits = trimmed.replace(/[\s().-]/g, "");
  if (digits.startsWith("00")) digits = `+${digits.slice(2)}`;
  if (!digits.startsWith("+")) digits = `+${digits}`;
  if (!/^\+\d{6,15}$/.test(digits)) throw new InvalidPhoneError(input);
  if (TELEGRAM_TEST_NUMBER.test(digits) || FRAGMENT_NUMBER.test(digits)) return digits as Phone;
  const parsed = parsePhoneNumberFromString(digits);
  if (!parsed || !parsed.isValid()) throw new InvalidPhoneError(input);
  return parsed.number as Phone;
}

/** True when `value` is already a normalised phone (e.g. a key read back from the table). */
export function isPhone(value: string): value is Phone {
  try {
    return normalizePhone(value) === value;
  } catch {
    return false;
  }
}
