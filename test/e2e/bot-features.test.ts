/**
 * The rest of what an admin does in a day: pause, resume and check a session; manage admins; choose a language.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { AuditLog } from "../../lib/state/audit";
import { createBotHarness, type BotHarness } from "../support/bot-harness";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" };
const ADMIN = { id: 2002, is_bot: false, first_name: "Dilnoza", language_code: "uz" };
const PHONE = "+998935550101" as Phone;

let h: BotHarness;
beforeEach(async () => {
  h = await createBotHarness({ owner: OWNER });
});

async function openCard(): Promise<void> {
  await h.say(OWNER, "/start");
  await h.press(OWNER, "📋 Sessions");
  await h.press(OWNER, "🟢 active");
  await h.press(OWNER, `🟢 ${PHONE}`);
}

describe("session card actions", () => {
  beforeEach(async () => {
    await h.store.sessions({ now: h.now }).create({
      phone: PHONE,
      sessionString: "s",
      account: { userId: "77", username: "fleet7", firstName: "Ali" },
    });
  });

  it("pauses and resumes, and the audit trail says who", async () => {
    await openCard();
    expect(h.api.lastMessage(OWNER.id).text).toContain("Telegram account: Ali · @fleet7 · id 77");
    await h.press(OWNER, "⏸ Pause");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Status: ⏸ paused");
    expect((await h.store.sessions().get(PHONE))?.status).toBe("paused");
    h.advance(1); // the audit trail orders by time; the test clock otherwise stands still
    await h.press(OWNER, "▶️ Resume");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Status: 🟢 active");
    expect((await h.store.sessions().get(PHONE))?.status).toBe("active");
    const day = await new AuditLog(h.store.doc, h.store.botStateTable).day(
      h.now().toISOString().slice(0, 10),
    );
    expect(day.map((e) => [e.action, e.actor])).toEqual([
      ["session.paused", "tg:1001"],
      ["session.resumed", "tg:1001"],
    ]);
  });

  it("🔄 Check now runs the check for this one session and shows the result on the card", async () => {
    h.userbots.checkResults.set(PHONE, {
      outcome: "failed",
      phone: PHONE,
      failure: {
        kind: "dead",
        code: "AUTH_KEY_UNREGISTERED",
        message: "AUTH_KEY_UNREGISTERED: session revoked",
      },
    });
    await openCard();
    expect(h.userbots.loads).toBe(0);
    await h.press(OWNER, "🔄 Check now");
    expect(h.userbots.calls).toEqual([`checkSession ${PHONE} check-now:1001`]);
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain(
      "🔴 The session is dead and was marked error: AUTH_KEY_UNREGISTERED: session revoked",
    );
    expect(card).toContain("Status: 🔴 error");
  });

  it("🔄 Check now on a healthy session says so", async () => {
    await openCard();
    await h.press(OWNER, "🔄 Check now");
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ The session works: logged in as @fake · id 1.");
  });

  it("🔄 Check now that fails puts the card back with a notice", async () => {
    h.userbots.userbots.checkSession = () => Promise.reject(new Error("GramJS could not load"));
    await openCard();
    await h.press(OWNER, "🔄 Check now");
    const card = h.api.lastMessage(OWNER.id);
    expect(card.text).toContain("Something went wrong and nothing was changed");
    expect(card.buttons.map((b) => b.text)).toContain("🔄 Check now");
  });
});

describe("👥 Admins", () => {
  it("an owner adds an admin by user id, who then gets the bot in their language", async () => {
    await h.say(OWNER, "/start");
    await h.press(OWNER, "👥 Admins");
    expect(h.api.lastMessage(OWNER.id).text).toContain("<code>1001</code>: owner (you)");
    await h.press(OWNER, "➕ Add admin");
    await h.say(OWNER, "not a number");
    expect(h.api.lastMessage(OWNER.id).text).toContain("That is not a Telegram user id");
    await h.say(OWNER, "2002");
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ 2002 is now an admin.");

    await h.say(ADMIN, "/start");
    expect(h.api.lastMessage(ADMIN.id).text).toContain("Sessiyalar: 🟢 0 faol");
    expect(h.api.lastMessage(ADMIN.id).buttons.map((b) => b.text)).toContain("➕ Sessiya qo‘shish");
  });

  it("an owner adds an admin from a forwarded message", async () => {
    await h.say(OWNER, "/start");
    await h.press(OWNER, "👥 Admins");
    await h.press(OWNER, "➕ Add admin");
    await h.say(OWNER, "hi", {
      forward_origin: {
        type: "user",
        date: 1,
        sender_user: { id: 3003, is_bot: false, first_name: "Bobur" },
      },
    });
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ 3003 is now an admin.");
    expect(await h.admins.get("3003")).toMatchObject({ role: "admin", name: "Bobur", addedBy: "tg:1001" });
  });

  it("removes an admin after confirmation; only owners manage admins; the last owner stays", async () => {
    await h.admins.add({ userId: "2002", addedBy: "cli" });
    await h.say(OWNER, "/admins");
    await h.press(OWNER, "🗑️ 2002");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Remove admin 2002?");
    await h.press(OWNER, "Yes, remove");
    expect(await h.admins.get("2002")).toBeUndefined();
    expect(h.api.lastMessage(OWNER.id).text).toContain("Admin 2002 removed.");

    // A plain admin sees no management buttons, and a crafted press is refused.
    await h.admins.add({ userId: "2002", addedBy: "cli" });
    await h.say(ADMIN, "/admins");
    expect(h.api.lastMessage(ADMIN.id).buttons.map((b) => b.text)).toEqual(["⬅️ Orqaga"]);
    await h.post(h.updates.press(ADMIN, "aR:1001", h.api.lastMessage(ADMIN.id).messageId));
    expect(h.api.toasts().at(-1)).toBe("Adminlarni faqat ega qo‘shishi yoki olib tashlashi mumkin.");
    expect(await h.admins.get("1001")).toBeDefined();

    // The last owner cannot be removed (even by a crafted press from themselves).
    await h.post(h.updates.press(OWNER, "aR:1001", h.api.lastMessage(OWNER.id).messageId));
    expect(h.api.toasts().at(-1)).toContain("This is the last owner and cannot be removed");
    expect(await h.admins.get("1001")).toMatchObject({ role: "owner" });
  });
});

describe("language", () => {
  it("follows Telegram's language_code until the admin chooses with /language", async () => {
    await h.admins.add({ userId: "2002", addedBy: "cli" });
    await h.say(ADMIN, "/start");
    expect(h.api.lastMessage(ADMIN.id).text).toContain("faol");
    await h.say(ADMIN, "/language");
    await h.press(ADMIN, "🇷🇺 Русский");
    expect(h.api.lastMessage(ADMIN.id).text).toContain("Язык: русский.");
    expect((await h.admins.get("2002"))?.language).toBe("ru");
    await h.say(ADMIN, "/start");
    expect(h.api.lastMessage(ADMIN.id).buttons.map((b) => b.text)).toContain("📋 Сессии");
  });
});
