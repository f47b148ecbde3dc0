/**
 * SEED.md's runbook, through the real webhook handler: the broken session is found and deleted from the bot, and a
 * new one is added with phone → code (typed with spaces) → 2FA password.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { BOT_TOKEN, createBotHarness, WEBHOOK_SECRET, type BotHarness } from "../support/bot-harness";
import { captureOutput } from "../support/capture-logs";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" };
const BROKEN = "+998901234567" as Phone;
/** The seed's number after step 2 deleted it, re-added; a phone whose digits do not contain the code. */
const NEW = "+998935550101" as Phone;

let h: BotHarness;
beforeEach(async () => {
  h = await createBotHarness({ owner: OWNER });
});

async function seedFleet(): Promise<void> {
  const sessions = h.store.sessions({ now: h.now });
  for (const phone of ["+998901112233", "+998901112244", BROKEN] as Phone[]) {
    await sessions.create({ phone, sessionString: `s-${phone}`, account: { userId: phone.slice(-4) } });
  }
  await sessions.markError(BROKEN, {
    message: "AUTH_KEY_UNREGISTERED: Session expired or revoked; log in again",
    code: "AUTH_KEY_UNREGISTERED",
  });
}

describe("runbook step 2: delete the broken session from the bot", () => {
  it("/start → 📋 Sessions → the error session → 🗑️ Delete → confirm → gone", async () => {
    await seedFleet();
    expect((await h.say(OWNER, "/start")).statusCode).toBe(200);
    expect(h.api.lastMessage(OWNER.id).text).toContain("🟢 2 active · ⏸ 0 paused · 🔴 1 error");

    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, "🔴 error (1)");
    const list = h.api.lastMessage(OWNER.id);
    expect(list.buttons.map((b) => b.text)).toContain(`🔴 ${BROKEN}`);

    await h.press(OWNER, `🔴 ${BROKEN}`);
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain(BROKEN);
    expect(card).toContain("Status: 🔴 error");
    expect(card).toContain("Paused: yes");
    expect(card).toContain("Last error: AUTH_KEY_UNREGISTERED: Session expired or revoked");

    await h.press(OWNER, "🗑️ Delete");
    expect(h.api.lastMessage(OWNER.id).text).toContain(`Delete the session <b>${BROKEN}</b>?`);
    // Nothing is deleted before the confirmation.
    expect((await h.store.sessions().get(BROKEN))?.status).toBe("error");

    await h.press(OWNER, "🗑️ Yes, delete");
    expect(h.api.toasts()).toContain(`🗑️ Session ${BROKEN} deleted.`);
    const stored = await h.store.sessions().get(BROKEN);
    expect(stored).toMatchObject({ status: "deleted", hasSecret: false });
    // Back on the error list, which is now empty.
    expect(h.api.lastMessage(OWNER.id).text).toContain("No sessions with status “error”.");
    expect(await h.store.sessions().countByStatus()).toMatchObject({ active: 2, error: 0 });
    // Ordinary presses never loaded the userbot layer (GramJS).
    expect(h.userbots.loads).toBe(0);
  });
});

describe("the same runbook in Uzbek", () => {
  it("/start → 📋 Sessiyalar → 🔴 xato → 🗑️ O‘chirish → 🗑️ Ha, o‘chirish", async () => {
    const operator = { id: 3003, is_bot: false, first_name: "Jasur", language_code: "uz" };
    await h.admins.add({ userId: "3003", addedBy: "tg:1001" });
    await seedFleet();
    await h.say(operator, "/start");
    expect(h.api.lastMessage(operator.id).text).toContain("🟢 2 faol · ⏸ 0 to‘xtatilgan · 🔴 1 xato");
    await h.press(operator, "📋 Sessiyalar");
    await h.press(operator, "🔴 xato (1)");
    await h.press(operator, `🔴 ${BROKEN}`);
    expect(h.api.lastMessage(operator.id).text).toContain("Holat: 🔴 xato");
    await h.press(operator, "🗑️ O‘chirish");
    expect(h.api.lastMessage(operator.id).text).toContain("sessiyasi o‘chirilsinmi?");
    await h.press(operator, "🗑️ Ha, o‘chirish");
    expect(h.api.toasts()).toContain(`🗑️ ${BROKEN} sessiyasi o‘chirildi.`);
    expect((await h.store.sessions().get(BROKEN))?.status).toBe("deleted");
  });
});

describe("runbook step 3: add a new session from the bot", () => {
  it("➕ Add Session → phone → code as “1 2 3 4 5” → 2FA password → active; code and password deleted", async () => {
    h.userbots.accounts.set(NEW, {
      code: "12345",
      password: "correct horse",
      userId: "555",
      username: "fleet1",
    });
    await h.say(OWNER, "/start");
    await h.press(OWNER, "➕ Add Session");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Send the phone number with the country code");

    await h.say(OWNER, "+998 93 555-01-01");
    const prompt = h.api.lastMessage(OWNER.id).text;
    expect(prompt).toContain(`Telegram sent a login code to ${NEW}`);
    expect(prompt).toContain("<b>with spaces between the digits</b>");
    expect(prompt).toContain("Telegram blocks a login whose code was sent in any chat");

    const code = h.updates.text(OWNER, "1 2 3 4 5");
    await h.post(code);
    expect(h.api.callsOf("deleteMessage").map((c) => c.payload.message_id)).toContain(
      code.message!.message_id,
    );
    expect(h.api.lastMessage(OWNER.id).text).toContain("Send its 2FA password (hint: pet)");

    const password = h.updates.text(OWNER, "correct horse");
    await h.post(password);
    expect(h.api.callsOf("deleteMessage").map((c) => c.payload.message_id)).toContain(
      password.message!.message_id,
    );
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain("✅ Logged in: the session is active.");
    expect(card).toContain("Status: 🟢 active");
    expect(card).toContain("@fleet1");
    expect(await h.store.sessions().get(NEW)).toMatchObject({ status: "active", hasSecret: true });

    // The secrets never came back into the chat.
    const sent = h.api.calls.map((c) => JSON.stringify(c.payload)).join("\n");
    expect(sent).not.toContain("correct horse");
    // (The phone prompt's example number +998901234567 happens to contain the digits; take it out.)
    expect(sent.replaceAll("+998901234567", "")).not.toContain("12345");
    // The login step is over: the next text is not taken as a code.
    expect((await h.botStateItems()).some((i) => String(i.pk).startsWith("INPUT#"))).toBe(false);
  });
});

describe("logging in again over a broken session", () => {
  it("says the old session is replaced only on success, then shows it active again", async () => {
    await seedFleet();
    h.userbots.accounts.set(BROKEN, { code: "52814", userId: "4567" });
    await h.say(OWNER, "/add");
    await h.say(OWNER, BROKEN);
    expect(h.api.lastMessage(OWNER.id).text).toContain("it is replaced only if the new login succeeds");
    expect((await h.store.sessions().get(BROKEN))?.status).toBe("error");
    await h.say(OWNER, "5 2 8 1 4");
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain("✅ Logged in: the old session was replaced.");
    expect(card).not.toContain("Last error");
    expect(await h.store.sessions().get(BROKEN)).toMatchObject({ status: "active", isPaused: false });
  });
});

describe("secrets stay out of the logs", () => {
  it("a full login at DEBUG level logs neither the code, the password, the bot token nor the webhook secret", async () => {
    const level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "DEBUG";
    try {
      const { output } = await captureOutput(async () => {
        const d = await createBotHarness({ owner: OWNER });
        d.userbots.accounts.set(NEW, { code: "52814", password: "correct horse", userId: "555" });
        await d.say(OWNER, "/add");
        await d.say(OWNER, NEW);
        await d.say(OWNER, "5 2 8 1 4");
        await d.say(OWNER, "wrong horse");
        await d.say(OWNER, "correct horse");
        expect(await d.store.sessions().get(NEW)).toMatchObject({ status: "active" });
      });
      expect(output).toContain("Update handled");
      for (const secret of [
        "5 2 8 1 4",
        "52814",
        "correct horse",
        "wrong horse",
        BOT_TOKEN,
        WEBHOOK_SECRET,
      ]) {
        expect(output).not.toContain(secret);
      }
    } finally {
      process.env.LOG_LEVEL = level;
    }
  });
});
