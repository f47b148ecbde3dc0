import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actionFromCode, cb, match, type SessionAction } from "../../lib/bot/callback-data";
import { secretMatches } from "../../lib/bot/webhook";
import type { Phone } from "../../lib/sessions/phone";

describe("callback data", () => {
  const actions: SessionAction[] = ["pause", "resume", "check", "ask-delete", "delete"];

  it("fits Telegram's 64 bytes for the longest phone and version, and parses back", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...actions),
        fc.stringMatching(/^\+\d{6,15}$/),
        fc.integer({ min: 1, max: 999_999_999 }),
        (action, phone, version) => {
          const data = cb.action(action, phone as Phone, version);
          expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
          const m = match.action.exec(data);
          expect(m?.[2]).toBe(phone);
          expect(Number(m?.[3])).toBe(version);
          expect(actionFromCode(m![1]!)).toBe(action);
        },
      ),
    );
  });

  it("a page reference is short whatever the cursor", () => {
    expect(match.page.test(cb.page("AbC-_123"))).toBe(true);
    expect(match.page.test("p:../../etc")).toBe(false);
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
