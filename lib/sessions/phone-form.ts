/**
 * The light half of ./phone.ts (no numbering-plan metadata): the `Phone` type, the error for a number that is not
 * one, and the shape check for a phone read back from a key or a button. Reading a number a person typed needs
 * `normalizePhone` in ./phone.ts.
 */

/** E.164 phone number, only obtainable through `normalizePhone` (or a key this system wrote). */
export type Phone = string & { readonly __brand: "Phone" };

export class InvalidPhoneError extends Error {
  constructor(readonly input: string) {
    super(
      `"${input.slice(0, 32)}" is not a valid phone number. ` +
        "Write it with the country code, for example +998901234567.",
    );
    this.name = "InvalidPhoneError";
  }
}

/**
 * True when `value` has the form of a stored phone key: "+" and 6 to 15 digits, the first not 0. For data that
 * this system wrote (button payloads, table keys): it checks the form, not the numbering plan, so a forged value
 * of the right form is simply a phone that has no session. A number a person typed goes through `normalizePhone`.
 */
export function isPhoneKey(value: string): value is Phone {
  return /^\+[1-9]\d{5,14}$/.test(value);
}
