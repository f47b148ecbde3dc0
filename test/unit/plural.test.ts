import { describe, expect, it } from "vitest";
import { en } from "../../lib/bot/locales/en";
import { plural as cliPlural } from "../../lib/cli/format";
import { english, plural } from "../../lib/plural";

describe("counted nouns follow the language's plural rules, never “(s)”", () => {
  it("English: one and other", () => {
    expect([0, 1, 2, 21].map((n) => english(n, "session"))).toEqual([
      "0 sessions",
      "1 session",
      "2 sessions",
      "21 sessions",
    ]);
    expect(cliPlural(1234, "day")).toBe("1,234 days");
  });

  it("Russian: one, few and many", () => {
    const forms = { one: "сессия", few: "сессии", many: "сессий", other: "сессии" };
    expect([1, 3, 5, 11, 21, 22, 25].map((n) => plural("ru", n, forms))).toEqual([
      "1 сессия",
      "3 сессии",
      "5 сессий",
      "11 сессий",
      "21 сессия",
      "22 сессии",
      "25 сессий",
    ]);
  });

  it("the bot's English texts read right for one and for many", () => {
    const one = en.notify.sessionsFailed([{ phone: "+998901234567", error: "AUTH_KEY_UNREGISTERED" }]);
    const two = en.notify.sessionsFailed([
      { phone: "+998901234567", error: "AUTH_KEY_UNREGISTERED" },
      { phone: "+998901234568", error: "AUTH_KEY_UNREGISTERED" },
    ]);
    expect(one).toContain("1 session stopped working");
    expect(two).toContain("2 sessions stopped working");
    expect(en.add.wrongCode(1)).toContain("1 attempt left.");
    expect(en.check.transient("timeout", 3)).toContain("3 failures in a row");
    for (const text of [one, two, en.add.wrongCode(2), en.notify.runUnfinished(1)])
      expect(text).not.toContain("(s)");
  });
});
