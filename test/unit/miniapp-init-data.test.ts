/**
 * The Mini App's initData check, against initData signed as Telegram signs it (test/support/init-data.ts): only a
 * fresh initData signed with our bot token, unchanged in every field, names a user.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { INIT_DATA_MAX_AGE_SECONDS, verifyInitData } from "../../lib/miniapp/init-data";
import { signInitData } from "../support/init-data";

const TOKEN = "7000000001:AAH-test-token-0123456789abcdefghijklmn";
const now = new Date("2026-11-27T12:00:00Z");
const nowSeconds = now.getTime() / 1000;

describe("initData", () => {
  it("accepts what Telegram signed with our token and names the user and their language", () => {
    const raw = signInitData(TOKEN, { userId: 4242, languageCode: "uz", authDate: nowSeconds - 60 });
    expect(verifyInitData(raw, TOKEN, { now })).toEqual({
      ok: true,
      user: { id: 4242, languageCode: "uz" },
      authDate: new Date((nowSeconds - 60) * 1000),
    });
  });

  it("refuses initData signed with another bot's token", () => {
    const raw = signInitData("7000000002:AAH-other-token-0123456789abcdefghijk", {
      userId: 4242,
      authDate: nowSeconds,
    });
    expect(verifyInitData(raw, TOKEN, { now })).toEqual({ ok: false, reason: "signature" });
  });

  it("refuses any change to any field after signing (another user id, a later date, an added field)", () => {
    const raw = signInitData(TOKEN, { userId: 4242, authDate: nowSeconds });
    const tampered = [
      raw.replace(encodeURIComponent('"id":4242'), encodeURIComponent('"id":4243')),
      raw.replace(`auth_date=${nowSeconds}`, `auth_date=${nowSeconds + 1}`),
      `${raw}&chat_type=private`,
      raw.replace(/&?signature=[^&]*/, ""),
    ];
    for (const t of tampered) {
      expect(t).not.toBe(raw);
      expect(verifyInitData(t, TOKEN, { now })).toEqual({ ok: false, reason: "signature" });
    }
  });

  it("refuses a signed initData once it is older than the limit, or dated in the future", () => {
    const old = signInitData(TOKEN, { userId: 1, authDate: nowSeconds - INIT_DATA_MAX_AGE_SECONDS - 1 });
    const edge = signInitData(TOKEN, { userId: 1, authDate: nowSeconds - INIT_DATA_MAX_AGE_SECONDS });
    const future = signInitData(TOKEN, { userId: 1, authDate: nowSeconds + 120 });
    expect(verifyInitData(old, TOKEN, { now })).toEqual({ ok: false, reason: "expired" });
    expect(verifyInitData(edge, TOKEN, { now }).ok).toBe(true);
    expect(verifyInitData(future, TOKEN, { now })).toEqual({ ok: false, reason: "future" });
  });

  it("refuses what is not an initData: empty, not a string, no or two hashes, a field twice, no user", () => {
    const raw = signInitData(TOKEN, { userId: 5, authDate: nowSeconds });
    const hash = new URLSearchParams(raw).get("hash")!;
    for (const input of [undefined, 42, "", "x".repeat(5000)]) {
      expect(verifyInitData(input, TOKEN, { now }).ok).toBe(false);
    }
    expect(verifyInitData(raw.replace(/&?hash=[0-9a-f]+/, ""), TOKEN, { now })).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(verifyInitData(`${raw}&hash=${hash}`, TOKEN, { now })).toEqual({ ok: false, reason: "malformed" });
    expect(verifyInitData(`${raw}&auth_date=1`, TOKEN, { now })).toEqual({ ok: false, reason: "malformed" });
    const noUser = signInitData(TOKEN, { userId: 5, authDate: nowSeconds, extra: { user: "{}" } });
    expect(verifyInitData(noUser, TOKEN, { now })).toEqual({ ok: false, reason: "malformed" });
  });

  it("never accepts arbitrary strings, and never throws on them", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (s) => {
        expect(verifyInitData(s, TOKEN, { now }).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
