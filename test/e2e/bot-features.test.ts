/**
 * The rest of what an admin does in a day: pause, resume and check a session (🔄 Check now on the real userbot
 * layer, Telegram's network faked under GramJS's real client); manage admins; choose a language.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { AuditLog } from "../../lib/bot-state/audit";
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
    await h.seedSession(PHONE, { userId: 77, username: "fleet7", firstName: "Ali" });
    await h.store.sessions({ now: h.now }).recordCheck(PHONE, 1, {
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
    expect(h.clientsBuilt()).toBe(0);
  });
});

describe("🔄 Check now, on the real userbot layer", () => {
  beforeEach(async () => {
    await h.seedSession(PHONE, { userId: 77, username: "fleet7", firstName: "Ali" });
  });

  it("on a healthy session says so, records the check and the account, and closes its client", async () => {
    await openCard();
    expect(h.api.lastMessage(OWNER.id).text).toContain("Last check: never");
    h.advance(60);
    await h.press(OWNER, "🔄 Check now");
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain("✅ The session works: logged in as Ali · @fleet7 · id 77.");
    expect(card).not.toContain("Last check: never");
    expect(await h.store.sessions().get(PHONE)).toMatchObject({
      status: "active",
      lastCheckedAt: h.now().toISOString(),
      account: { userId: "77", username: "fleet7", firstName: "Ali" },
    });
    // getMe first; then what getMe cannot see: a freeze (app config), the other logins and the inactivity limit
    // (authorizations), the 2FA posture (password).
    expect(h.telegramRequests.map((r) => r.className).sort()).toEqual(
      ["account.GetAuthorizations", "account.GetPassword", "help.GetAppConfig", "users.GetUsers"].sort(),
    );
    expect(h.telegramRequests[0]?.className).toBe("users.GetUsers");
    expect(h.telegram.stats).toMatchObject({ created: 1, connected: 1, destroyed: 1 });
    // The lease was given back: the next check is not refused.
    expect((await h.store.sessions().get(PHONE))?.leaseOwner).toBeUndefined();
  });

  it("on a dead session (401 AUTH_KEY_UNREGISTERED from users.GetUsers) marks it error with the reason", async () => {
    h.telegram.failOn(PHONE, "users.GetUsers", { error: [401, "AUTH_KEY_UNREGISTERED"] });
    await openCard();
    await h.press(OWNER, "🔄 Check now");
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain(
      "🔴 The session is dead and was marked error: AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
    );
    expect(card).toContain("Status: 🔴 error");
    expect(await h.store.sessions().get(PHONE)).toMatchObject({
      status: "error",
      isPaused: true,
      lastErrorCode: "AUTH_KEY_UNREGISTERED",
    });
    const day = await new AuditLog(h.store.doc, h.store.botStateTable).day(
      h.now().toISOString().slice(0, 10),
    );
    expect(day.map((e) => [e.action, e.actor])).toEqual([["session.failed", "check-now:tg:1001"]]);
  });

  it("in a flood wait shows until when, and the session stays active", async () => {
    h.telegram.failOn(PHONE, "users.GetUsers", { floodWaitSeconds: 300 });
    await openCard();
    await h.press(OWNER, "🔄 Check now");
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain("⏳ Telegram asks to wait (flood wait) until");
    expect(card).toContain("The session is not marked as failed.");
    expect(card).toContain("Status: 🟢 active");
    const until = new Date(h.now().getTime() + 300_000).toISOString();
    expect(await h.store.sessions().get(PHONE)).toMatchObject({ status: "active", floodWaitUntil: until });
    // Pressed again during the wait: not even a connection.
    await h.press(OWNER, "🔄 Check now");
    expect(h.api.lastMessage(OWNER.id).text).toContain("The session is in a flood wait");
    expect(h.clientsBuilt()).toBe(1);
  });

  it("on a session another job holds says it is in use, and makes no connection", async () => {
    await h.store.sessions({ now: h.now }).acquireLease(PHONE, "health-check:run-1#ab12", 60_000);
    await openCard();
    await h.press(OWNER, "🔄 Check now");
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain("Another job is using this session right now. Try again in a minute.");
    expect(card).toContain("Status: 🟢 active");
    expect(h.clientsBuilt()).toBe(0);
    expect(await h.store.sessions().get(PHONE)).toMatchObject({ leaseOwner: "health-check:run-1#ab12" });
  });

  it("that cannot run (API_ID/API_HASH not configured) puts the card back with a notice", async () => {
    const d = await createBotHarness({ owner: OWNER, apiId: null });
    await d.seedSession(PHONE, { userId: 77 });
    await d.say(OWNER, "/start");
    await d.press(OWNER, "📋 Sessions");
    await d.press(OWNER, "🟢 active");
    await d.press(OWNER, `🟢 ${PHONE}`);
    await d.press(OWNER, "🔄 Check now");
    const card = d.api.lastMessage(OWNER.id);
    expect(card.text).toContain("⚙️ Checks cannot run yet: Missing API_ID: get it at my.telegram.org");
    expect(card.text).toContain("Nothing was changed; tell the deployer.");
    expect(card.buttons.map((b) => b.text)).toContain("🔄 Check now");
    expect(d.clientsBuilt()).toBe(0);
    expect(await d.store.sessions().get(PHONE)).toMatchObject({ status: "active", consecutiveFailures: 0 });
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

  it("an owner adds and removes an admin whose id is past 2^53 or 17 digits long: kept exactly, never a failure", async () => {
    for (const id of ["9007199254740993", "12345678901234567"]) {
      await h.say(OWNER, "/admins");
      await h.press(OWNER, "➕ Add admin");
      await h.say(OWNER, id);
      expect(h.api.lastMessage(OWNER.id).text).toContain(`✅ ${id} is now an admin.`);
      expect(h.api.lastMessage(OWNER.id).text).toContain(`<code>${id}</code>`);
      expect((await h.admins.get(id))?.userId).toBe(id);
    }
    expect(await h.admins.get("9007199254740992")).toBeUndefined();
    await h.press(OWNER, "🗑️ 12345678901234567");
    await h.press(OWNER, "Yes, remove");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Admin 12345678901234567 removed.");
    expect(await h.admins.get("12345678901234567")).toBeUndefined();
    await h.admins.remove("9007199254740993");
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
