/** Reading @SpamBot's answer: each kind of reply, in English and Russian, classified as such. */
import { describe, expect, it } from "vitest";
import { classifySpamBotReply } from "../../lib/telegram/spambot-reply";
import { LIMITED_UNTIL_ISO, SPAMBOT_REPLIES } from "../support/spambot-replies";

const AT = "2026-12-03T08:00:00.000Z";

describe.each(["en", "ru"] as const)("@SpamBot's replies in %s", (lang) => {
  const replies = SPAMBOT_REPLIES[lang];

  it("free", () => {
    expect(classifySpamBotReply(replies.free, AT)).toEqual({ state: "free", checkedAt: AT });
  });

  it("limited until a date, with the date read in UTC", () => {
    expect(classifySpamBotReply(replies.limitedUntil, AT)).toEqual({
      state: "limited",
      until: LIMITED_UNTIL_ISO,
      checkedAt: AT,
    });
  });

  it("limited for good", () => {
    expect(classifySpamBotReply(replies.limitedForGood, AT)).toEqual({
      state: "limited-forever",
      checkedAt: AT,
    });
  });

  it("an unknown reply is kept verbatim", () => {
    expect(classifySpamBotReply(replies.unknown, AT)).toEqual({
      state: "unknown",
      text: replies.unknown,
      checkedAt: AT,
    });
  });
});

describe("dates and odd texts", () => {
  it("reads 'lifted automatically on' and full month names, and May in Russian", () => {
    expect(
      classifySpamBotReply(
        "Your account was limited. This limitation will be lifted automatically on 24 April 2027, 13:10 UTC.",
        AT,
      ),
    ).toMatchObject({ state: "limited", until: "2027-04-24T13:10:00.000Z" });
    expect(classifySpamBotReply("Ваш аккаунт ограничен до 3 мая 2027, 09:05 UTC.", AT)).toMatchObject({
      state: "limited",
      until: "2027-05-03T09:05:00.000Z",
    });
    expect(classifySpamBotReply("Ваш аккаунт ограничен до 3 марта 2027, 09:05 UTC.", AT)).toMatchObject({
      until: "2027-03-03T09:05:00.000Z",
    });
  });

  it("a limitation with a date it cannot read is unknown (kept), not 'for good'", () => {
    const text = "Your account is limited until the 2027 review.";
    expect(classifySpamBotReply(text, AT)).toEqual({ state: "unknown", text, checkedAt: AT });
  });
});
