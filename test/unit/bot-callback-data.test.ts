import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buttons,
  cb,
  CALLBACK_DATA_MAX_BYTES,
  type KeypadKey,
  type PageButton,
  type SessionAction,
} from "../../lib/bot/callback-data";
import { secretMatches } from "../../lib/bot/webhook";
import { normalizePhone, type Phone } from "../../lib/sessions/phone";

describe("callback data", () => {
  const actions: SessionAction[] = ["pause", "resume", "check", "ask-delete", "delete"];
  const keys: KeypadKey[] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "erase", "submit"];
  // Real numbers (Uzbek mobiles) and Telegram's test numbers, normalised as the bot stores them.
  const phones = fc
    .oneof(fc.stringMatching(/^\+99890\d{7}$/), fc.stringMatching(/^\+99966\d{5}$/))
    .map((p) => normalizePhone(p));

  it("packs every session button within Telegram's 64 bytes and parses it back to the same typed value", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...actions),
        phones,
        fc.integer({ min: 1, max: 999_999_999 }),
        (action, phone, version) => {
          const data = cb.action(action, phone, version);
          expect(Buffer.byteLength(data)).toBeLessThanOrEqual(CALLBACK_DATA_MAX_BYTES);
          expect(buttons.action.parse(data)).toEqual({ action, phone, version });
          expect(buttons.card.parse(cb.card(phone))).toBe(phone);
        },
      ),
    );
    for (const status of ["active", "paused", "error"] as const)
      expect(buttons.list.parse(cb.list(status))).toBe(status);
    for (const key of keys) expect(buttons.keypad.parse(cb.key(key))).toBe(key);
    // A keypad drawn for a login names its phone; one drawn before still reads as its key alone.
    for (const key of keys) {
      const data = cb.key(key, "+998935550202" as Phone);
      expect(buttons.keypadOf.parse(data)).toEqual({ key, phone: "+998935550202" });
      expect(buttons.keypad.parse(data)).toBeUndefined();
    }
    for (const lang of ["uz", "en", "ru"] as const)
      expect(buttons.setLanguage.parse(cb.setLanguage(lang))).toBe(lang);
    expect(buttons.removeAdmin.parse(cb.removeAdmin("9007199254740993"))).toBe("9007199254740993");
  });

  it("reads data it did not draw as no button, even when it looks like one", () => {
    // Almost the shape of a session button, but no key this system writes: not ours. (The form is checked, not
    // the numbering plan: a well-formed number with no session is answered "not found" by the handler.)
    expect(buttons.action.parse("x:+0100000:3")).toBeUndefined();
    expect(buttons.card.parse("o:+000000000")).toBeUndefined();
    expect(buttons.card.parse("o:998901234567")).toBeUndefined();
    expect(buttons.card.parse("o:+12345")).toBeUndefined();
    expect(buttons.card.parse("o:+1234567890123456")).toBeUndefined();
    expect(buttons.askRemoveAdmin.parse("ar:0123")).toBeUndefined();
    expect(buttons.setLanguage.parse("L:de")).toBeUndefined();
    expect(buttons.keypad.parse("k:x")).toBeUndefined();
    expect(buttons.keypadOf.parse("k:5:+000000000")).toBeUndefined();
    expect(buttons.list.parse("l:d")).toBeUndefined();
    expect(buttons.page.parse("p:../../etc")).toBeUndefined();
    expect(buttons.page.parse(cb.page("AbC-_123"))).toBe("AbC-_123");
  });

  it("a later page carries where it starts, within 64 bytes, and reads back exactly", () => {
    const at: PageButton = {
      status: "paused",
      direction: "before",
      page: 99_999,
      phone: "+998901234567890" as Phone,
      updatedAt: "2026-12-03T13:59:59.999Z",
    };
    const data = cb.pageAt(at);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(buttons.pageAt.parse(data)).toEqual(at);
    expect(buttons.pageAt.parse("P:a:n:0:abc:+998901234567")).toBeUndefined();
    expect(buttons.pageAt.parse("P:a:x:2:abc:+998901234567")).toBeUndefined();
    expect(buttons.pageAt.parse("P:a:n:2:ABC:+998901234567")).toBeUndefined();
    expect(() => cb.pageAt({ ...at, updatedAt: "yesterday" })).toThrow(/Not a date/);
  });

  it("refuses to draw a button whose data would not read back", () => {
    expect(() => cb.page("a cursor that is far too long")).toThrow(/does not fit/);
    expect(() => cb.removeAdmin("12ab")).toThrow(/does not fit/);
  });
});

describe("webhook secret", () => {
  it("matches only the exact secret", () => {
    expect(secretMatches("s3cret_token_value_1", "s3cret_token_value_1")).toBe(true);
    expect(secretMatches("s3cret_token_value_2", "s3cret_token_value_1")).toBe(false);
    expect(secretMatches("s3cret_token_value_1x", "s3cret_token_value_1")).toBe(false);
    expect(secretMatches(undefined, "s3cret_token_value_1")).toBe(false);
    expect(secretMatches("", "")).toBe(false);
  });
});
