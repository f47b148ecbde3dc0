/**
 * 🔎 Restrictions on the AdminBot's session card (issue 17), on a loopback DC that serves a scripted @SpamBot
 * (GramJS's real transport), the real webhook handler and grammY's real bot with only the Bot API's HTTP replaced:
 * an owner asks @SpamBot from the card and sees the reading on it, and the menu's fleet line counts the active
 * sessions Telegram limits (from the fleet counter); an admin who is not an owner has no such button and is refused
 * with the owner's button data, and @SpamBot is sent nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cb } from "../../lib/bot/callback-data";
import type { Phone } from "../../lib/sessions/phone";
import { createBotHarness } from "../support/bot-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";
import { SPAMBOT_REPLIES } from "../support/spambot-replies";

const OWNER = { id: 1701, is_bot: false, first_name: "Owner", language_code: "en" };
const ADMIN = { id: 1702, is_bot: false, first_name: "Admin", language_code: "en" };

let dc: LoopbackDc;
beforeAll(async () => {
  dc = await startLoopbackDc();
});
afterAll(async () => {
  await dc?.stop();
});

describe("🔎 Restrictions on a session's card", () => {
  it("an owner asks @SpamBot and sees the reading; the menu counts the limited; an admin cannot", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    await h.admins.add({ userId: String(ADMIN.id), addedBy: "cli" });
    await h.admins.setLanguage(String(OWNER.id), "en");
    await h.admins.setLanguage(String(ADMIN.id), "en");
    const phone = "+998931700001" as Phone;
    const { sessionString } = dc.addAccount({ phone, userId: 917_001, firstName: "Limited" });
    await h.store.sessions().create({ phone, sessionString, account: { userId: "917001" } });

    // An admin who is not an owner: the card has no such button, and the owner's button data is refused.
    await h.say(ADMIN, "/start");
    await h.post(h.updates.press(ADMIN, cb.card(phone), h.api.lastMessage(ADMIN.id).messageId));
    const adminCard = h.api.lastMessage(ADMIN.id);
    expect(adminCard.buttons.map((b) => b.text)).toContain("📱 Devices");
    expect(adminCard.buttons.map((b) => b.text)).not.toContain("🔎 Restrictions");
    await h.post(h.updates.press(ADMIN, cb.restrictions(phone), h.api.lastMessage(ADMIN.id).messageId));
    expect(h.api.toasts()).toContain("Only an owner can ask @SpamBot: it sends a message from the account.");
    expect(dc.spamBot.sent(phone)).toEqual([]);
    expect((await h.store.sessions().require(phone)).restriction).toBeUndefined();

    // The owner: the card's button sends /start to @SpamBot through the session and shows the reading.
    dc.spamBot.script(phone, SPAMBOT_REPLIES.en.limitedForGood);
    await h.say(OWNER, "/start");
    expect(h.api.lastMessage(OWNER.id).text).not.toContain("limited by Telegram");
    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, /^🟢 active/);
    await h.press(OWNER, `🟢 ${phone}`);
    await h.press(OWNER, "🔎 Restrictions");
    expect(dc.spamBot.sent(phone)).toEqual(["/start"]);
    const card = h.api.lastMessage(OWNER.id);
    expect(card.text).toContain("🔎 @SpamBot says Telegram limits this account.");
    expect(card.text).toMatch(/@SpamBot: ⛔ limited for good \(asked \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    expect(card.buttons.map((b) => b.text)).toContain("🔎 Restrictions");
    expect((await h.store.sessions().require(phone)).restriction).toMatchObject({ state: "limited-forever" });

    // The menu's fleet line counts it (the fleet counter moved with the reading).
    await h.say(OWNER, "/start");
    expect(h.api.lastMessage(OWNER.id).text).toContain("🚫 1 limited by Telegram");
    expect((await h.store.sessions().recountFleet()).drift).toEqual({});

    // Asked again, free now: the card says so and the menu no longer counts it.
    dc.spamBot.script(phone, SPAMBOT_REPLIES.en.free);
    await h.post(h.updates.press(OWNER, cb.restrictions(phone), h.api.lastMessage(OWNER.id).messageId));
    expect(h.api.lastMessage(OWNER.id).text).toContain(
      "🔎 @SpamBot says Telegram does not limit this account.",
    );
    expect(h.api.lastMessage(OWNER.id).text).toContain("@SpamBot: ✅ no limits");
    await h.say(OWNER, "/start");
    expect(h.api.lastMessage(OWNER.id).text).not.toContain("limited by Telegram");
  });

  it("a session Telegram cannot be reached through: the card again with the reason, nothing stored", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    await h.admins.setLanguage(String(OWNER.id), "en");
    const phone = "+998931700002" as Phone;
    const { sessionString } = dc.addAccount({ phone, userId: 917_002, firstName: "Unreachable" });
    await h.store.sessions().create({ phone, sessionString, account: { userId: "917002" } });
    dc.script(phone, { method: "contacts.ResolveUsername", error: { code: 420, message: "FLOOD_WAIT_60" } });

    await h.say(OWNER, "/start");
    await h.post(h.updates.press(OWNER, cb.restrictions(phone), h.api.lastMessage(OWNER.id).messageId));

    const card = h.api.lastMessage(OWNER.id);
    expect(card.text).toContain("⚠️ @SpamBot could not be asked:");
    expect(card.text).toContain(phone);
    expect(card.buttons.map((b) => b.text)).toContain("🔎 Restrictions");
    expect((await h.store.sessions().require(phone)).restriction).toBeUndefined();
    dc.clearScripts(phone);
  });
});
