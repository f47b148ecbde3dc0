/**
 * Restrictions read from @SpamBot on GramJS's real network path: the loopback DC serves a scripted @SpamBot
 * (resolve its username, take /start, answer in the dialog's history). Each scripted answer, in English and Russian,
 * is classified as such and stored on the row with its date; a silent bot is kept as unknown.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../support/dynamo";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";
import { LIMITED_UNTIL_ISO, SPAMBOT_REPLIES } from "../support/spambot-replies";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;
const options = { deadlineMs: 20_000, actor: "cli:ops" };

beforeAll(async () => {
  [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
  h = dcHarness(store, dc, { logLevel: "SILENT" });
});
afterAll(async () => {
  await dc?.stop();
});

const EXPECTED = {
  free: { state: "free" },
  limitedUntil: { state: "limited", until: LIMITED_UNTIL_ISO },
  limitedForGood: { state: "limited-forever" },
} as const;

describe.each(["en", "ru"] as const)("@SpamBot answering in %s", (lang) => {
  for (const kind of ["free", "limitedUntil", "limitedForGood", "unknown"] as const) {
    it(`${kind}: sends /start, reads the answer, stores it with its date`, async () => {
      const { phone } = await seedDcSession(h);
      const reply = SPAMBOT_REPLIES[lang][kind];
      dc.spamBot.script(phone, reply);
      const before = Date.now();
      const reading = await h.services.checkRestriction(phone, options);
      const expected = kind === "unknown" ? { state: "unknown", text: reply } : EXPECTED[kind];
      expect(reading).toMatchObject(expected);
      expect(Date.parse(reading.checkedAt)).toBeGreaterThanOrEqual(before - 1_000);
      expect(dc.spamBot.sent(phone)).toEqual(["/start"]);
      const row = await h.sessions.require(phone);
      expect(row.restriction).toEqual(reading);
      expect(row).toMatchObject({ status: "active", consecutiveFailures: 0 });
    });
  }
});

describe("a later reading replaces the earlier one whole", () => {
  it("limited until a date, then free: the date and text are gone", async () => {
    const { phone } = await seedDcSession(h);
    dc.spamBot.script(phone, SPAMBOT_REPLIES.en.limitedUntil);
    await h.services.checkRestriction(phone, options);
    dc.spamBot.script(phone, SPAMBOT_REPLIES.ru.free);
    await h.services.checkRestriction(phone, options);
    expect((await h.sessions.require(phone)).restriction).toEqual({
      state: "free",
      checkedAt: expect.any(String),
    });
  });

  it("a bot that does not answer is kept as unknown, saying so", async () => {
    const { phone } = await seedDcSession(h);
    const reading = await h.services.checkRestriction(phone, options);
    expect(reading).toMatchObject({ state: "unknown", text: "(@SpamBot did not answer in time)" });
    expect(dc.spamBot.sent(phone)).toEqual(["/start"]);
  }, 30_000);
});
