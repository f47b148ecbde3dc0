/**
 * SEED.md's runbook, through the real webhook handler and the real userbot layer: a session whose key Telegram
 * revoked is found by 🔄 Check now, deleted from the bot, and its phone added again with phone → code (typed with
 * spaces) → 2FA password. The headline runs against a loopback DC: GramJS's real client on its real TCP transport.
 */
import { Api } from "telegram";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { BOT_TOKEN, createBotHarness, WEBHOOK_SECRET, type BotHarness } from "../support/bot-harness";
import { captureOutput } from "../support/capture-logs";
import { API_HASH } from "../support/fake-telegram-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" };
/** The seed's +998XXXXXXXXX: its key is revoked, it is deleted, then logged in again. */
const BROKEN = "+998901234567" as Phone;
const HEALTHY = ["+998901112233", "+998901112244"] as Phone[];
/** A phone whose digits do not contain the code. */
const NEW = "+998935550101" as Phone;

function signIns(h: BotHarness): { phone: string; code: string }[] {
  return h.telegramRequests
    .filter((r): r is Api.auth.SignIn => r instanceof Api.auth.SignIn)
    .map((r) => ({ phone: r.phoneNumber, code: r.phoneCode ?? "" }));
}

function deletedMessageIds(h: BotHarness): unknown[] {
  return h.api.callsOf("deleteMessage").map((c) => c.payload.message_id);
}

describe("the seed's runbook on a loopback DC (GramJS's real transport)", () => {
  let dc: LoopbackDc;
  beforeAll(async () => {
    dc = await startLoopbackDc();
  });
  afterAll(async () => {
    await dc?.stop();
  });

  it("🔄 Check now finds the revoked key → 🗑️ Delete → ➕ Add Session → code “1 2 3 4 5” → 2FA password → active", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    const sessions = h.store.sessions({ now: h.now });
    let userId = 810_000;
    for (const phone of [...HEALTHY, BROKEN]) {
      const { sessionString } = dc.addAccount({
        phone,
        userId: ++userId,
        firstName: "Fleet",
        username: `fleet_${userId}`,
        ...(phone === BROKEN ? { code: "12345", password: "correct horse", passwordHint: "the horse" } : {}),
      });
      await sessions.create({ phone, sessionString, account: { userId: String(userId) } });
    }
    const brokenId = String(userId);
    // The account owner changed the 2FA password: every key of the account is logged out.
    expect(dc.forget(BROKEN)).toBe(1);

    // Step 1: the session's state, found from the bot.
    await h.say(OWNER, "/start");
    expect(h.api.lastMessage(OWNER.id).text).toContain("🟢 3 active · ⏸ 0 paused · 🔴 0 error");
    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, "🟢 active (3)");
    await h.press(OWNER, `🟢 ${BROKEN}`);
    expect(h.clientsBuilt()).toBe(0);
    await h.press(OWNER, "🔄 Check now");
    let card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain(
      "🔴 The session is dead and was marked error: AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
    );
    expect(card).toContain("Status: 🔴 error");
    expect(card).toContain("Paused: yes");
    expect(await h.store.sessions().get(BROKEN)).toMatchObject({
      status: "error",
      isPaused: true,
      lastErrorCode: "AUTH_KEY_UNREGISTERED",
      lastError: expect.stringContaining("AUTH_KEY_UNREGISTERED"),
    });
    expect(h.telegramRequests.map((r) => r.className)).toEqual(["users.GetUsers"]);

    // Step 2: delete it.
    await h.press(OWNER, "🗑️ Delete");
    expect(h.api.lastMessage(OWNER.id).text).toContain(`Delete the session <b>${BROKEN}</b>?`);
    expect((await h.store.sessions().get(BROKEN))?.status).toBe("error");
    await h.press(OWNER, "🗑️ Yes, delete");
    expect(h.api.toasts()).toContain(`🗑️ Logging ${BROKEN} out at Telegram…`);
    // The key was revoked already (the 2FA change): nothing left to log out, destroyed at once, no retry.
    expect(h.api.lastMessage(OWNER.id).text).toContain(
      `🗑️ Session ${BROKEN} destroyed. Telegram already refused its key (AUTH_KEY_UNREGISTERED)`,
    );
    expect(await h.store.sessions().get(BROKEN)).toMatchObject({ status: "deleted", hasSecret: false });
    expect(await h.store.sessions().countByStatus()).toMatchObject({ active: 2, error: 0 });

    // Step 3: log the phone in again.
    await h.say(OWNER, "/start");
    await h.press(OWNER, "➕ Add Session");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Send the phone number with the country code");
    await h.say(OWNER, "+998 90 123-45-67");
    const prompt = h.api.lastMessage(OWNER.id).text;
    expect(prompt).toContain(`Telegram sent a login code to ${BROKEN} in the Telegram app`);
    expect(prompt).toContain("<b>with spaces between the digits</b>");
    expect(dc.sentCodes(BROKEN)).toEqual(["12345"]);

    const code = h.updates.text(OWNER, "1 2 3 4 5");
    await h.post(code);
    expect(deletedMessageIds(h)).toContain(code.message!.message_id);
    expect(h.api.lastMessage(OWNER.id).text).toContain("Send its 2FA password (hint: the horse)");
    // What reached Telegram is the code without the spaces.
    expect(signIns(h)).toEqual([{ phone: BROKEN, code: "12345" }]);

    const password = h.updates.text(OWNER, "correct horse");
    await h.post(password);
    expect(deletedMessageIds(h)).toContain(password.message!.message_id);
    card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain("✅ Logged in: the session is active.");
    expect(card).toContain("Status: 🟢 active");
    // The owner's card after a login has the owner's buttons, as when the card is opened again.
    expect(h.api.lastMessage(OWNER.id).buttons.map((b) => b.text)).toContain("🔎 Restrictions");
    expect(card).toContain(`@fleet_${brokenId}`);
    expect(await h.store.sessions().get(BROKEN)).toMatchObject({
      status: "active",
      isPaused: false,
      hasSecret: true,
      account: { userId: brokenId, username: `fleet_${brokenId}`, firstName: "Fleet" },
    });
    // The stored key is the one the DC logged in as the account (a real SRP password check passed).
    const stored = await h.store.sessions().readSessionString(BROKEN);
    expect(dc.keyState(stored).loggedInAs).toBe(BigInt(brokenId));

    // The secrets never came back into the chat, and the login step is over.
    const sent = h.api.calls.map((c) => JSON.stringify(c.payload)).join("\n");
    expect(sent).not.toContain("correct horse");
    // The code as a number of its own: the card's "API id 123456" holds its digits and is not a leak.
    expect(sent.replaceAll(BROKEN, "")).not.toMatch(/(?<![\d])12345(?![\d])/);
    expect((await h.botStateItems()).some((i) => /^(INPUT|LOGIN)#/.test(String(i.pk)))).toBe(false);

    // And the new session passes the check the old one failed.
    await h.press(OWNER, "🔄 Check now");
    expect(h.api.lastMessage(OWNER.id).text).toContain(
      `✅ The session works: logged in as Fleet · @fleet_${brokenId}`,
    );
    expect(await h.store.sessions().countByStatus()).toMatchObject({ active: 3, error: 0 });
    // Every client the layer opened was destroyed: no link to the DC is left behind.
    await expect.poll(() => dc.stats().connectionsOpen).toBe(0);
  });
});

describe("runbook step 2 alone, in Uzbek", () => {
  it("/start → 📋 Sessiyalar → 🔴 xato → 🗑️ O‘chirish → 🗑️ Ha, o‘chirish: its key logged out first, the only call to Telegram", async () => {
    const h = await createBotHarness({ owner: OWNER });
    const operator = { id: 3003, is_bot: false, first_name: "Jasur", language_code: "uz" };
    await h.admins.add({ userId: "3003", addedBy: "tg:1001" });
    const sessions = h.store.sessions({ now: h.now });
    for (const phone of [...HEALTHY, BROKEN]) await h.seedSession(phone);
    await sessions.markError(BROKEN, {
      message: "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
      code: "AUTH_KEY_UNREGISTERED",
    });
    await h.say(operator, "/start");
    expect(h.api.lastMessage(operator.id).text).toContain("🟢 2 faol · ⏸ 0 to‘xtatilgan · 🔴 1 xato");
    await h.press(operator, "📋 Sessiyalar");
    await h.press(operator, "🔴 xato (1)");
    await h.press(operator, `🔴 ${BROKEN}`);
    expect(h.api.lastMessage(operator.id).text).toContain("Holat: 🔴 xato");
    await h.press(operator, "🗑️ O‘chirish");
    expect(h.api.lastMessage(operator.id).text).toContain("sessiyasi o‘chirilsinmi?");
    await h.press(operator, "🗑️ Ha, o‘chirish");
    expect(h.api.toasts()).toContain(`🗑️ ${BROKEN} Telegramdan chiqarilmoqda…`);
    expect(h.api.lastMessage(operator.id).text).toContain(
      `🗑️ ${BROKEN} sessiyasi Telegramdan chiqarildi va yo‘q qilindi.`,
    );
    expect((await h.store.sessions().get(BROKEN))?.status).toBe("deleted");
    // Ordinary presses never open a userbot; the delete opens one, to log the key out.
    expect(h.clientsBuilt()).toBe(1);
    expect(h.telegramRequests.map((r) => r.className)).toEqual(["auth.LogOut"]);
  });
});

describe("logging in again over a broken session (fake Telegram under GramJS)", () => {
  let h: BotHarness;
  beforeEach(async () => {
    h = await createBotHarness({ owner: OWNER });
  });

  async function brokenSession(): Promise<string> {
    const old = await h.seedSession(BROKEN, { userId: 4567, username: "old_name" });
    h.telegram.revokeAll(BROKEN);
    await h.store.sessions({ now: h.now }).markError(BROKEN, {
      message: "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
      code: "AUTH_KEY_UNREGISTERED",
    });
    return old;
  }

  it("a failed re-login leaves the old session exactly as it was", async () => {
    const old = await brokenSession();
    const before = await h.store.sessions().get(BROKEN);
    await h.say(OWNER, "/add");
    await h.say(OWNER, BROKEN);
    expect(h.api.lastMessage(OWNER.id).text).toContain("it is replaced only if the new login succeeds");
    for (const wrong of ["1 1 1 1 1", "2 2 2 2 2", "3 3 3 3 3"]) await h.say(OWNER, wrong);
    expect(h.api.lastMessage(OWNER.id).text).toContain("Too many wrong attempts: the login was stopped.");
    expect(await h.store.sessions().get(BROKEN)).toEqual(before);
    expect(await h.store.sessions().readSessionString(BROKEN)).toBe(old);
    expect(signIns(h).map((s) => s.code)).toEqual(["11111", "22222", "33333"]);
  });

  it("a successful re-login replaces it, and the card shows the account it logged in as", async () => {
    const old = await brokenSession();
    h.telegram.addAccount({ phone: BROKEN, userId: 4567, username: "new_name", firstName: "Ali" });
    await h.say(OWNER, "/add");
    await h.say(OWNER, BROKEN);
    expect((await h.store.sessions().get(BROKEN))?.status).toBe("error");
    await h.say(OWNER, h.telegram.codes.get(BROKEN)!.split("").join(" "));
    const card = h.api.lastMessage(OWNER.id).text;
    expect(card).toContain("✅ Logged in: the old session was replaced.");
    expect(card).toContain("Ali · @new_name · id 4567");
    expect(card).not.toContain("Last error");
    expect(await h.store.sessions().get(BROKEN)).toMatchObject({
      status: "active",
      isPaused: false,
      account: { userId: "4567", username: "new_name" },
    });
    expect(await h.store.sessions().readSessionString(BROKEN)).not.toBe(old);
    await h.press(OWNER, "🔄 Check now");
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ The session works");
  });
});

describe("secrets stay out of the logs", () => {
  it("a full login and checks at DEBUG level log no code, password, session string, code hash or token", async () => {
    const level = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "DEBUG";
    const secrets: string[] = [BOT_TOKEN, WEBHOOK_SECRET, API_HASH, "correct horse", "wrong horse"];
    try {
      const { output } = await captureOutput(async () => {
        const d = await createBotHarness({ owner: OWNER });
        d.telegram.addAccount({ phone: NEW, userId: 555, password: "correct horse", hint: "pet" });
        secrets.push(await d.seedSession(HEALTHY[0]!, { userId: 556 }));
        secrets.push(await d.seedSession(HEALTHY[1]!, { userId: 557 }));
        d.telegram.revokeAll(HEALTHY[1]!);
        await d.say(OWNER, "/add");
        await d.say(OWNER, NEW);
        const code = d.telegram.codes.get(NEW)!;
        secrets.push(code, code.split("").join(" "), d.telegram.codeHashes.get(NEW)!);
        await d.say(OWNER, "9 9 9 9 9");
        await d.say(OWNER, code.split("").join(" "));
        await d.say(OWNER, "wrong horse");
        await d.say(OWNER, "correct horse");
        expect(await d.store.sessions().get(NEW)).toMatchObject({ status: "active" });
        secrets.push(await d.store.sessions().readSessionString(NEW));
        for (const phone of HEALTHY) {
          await d.say(OWNER, "/sessions");
          await d.press(OWNER, "🟢 active");
          await d.press(OWNER, `🟢 ${phone}`);
          await d.press(OWNER, "🔄 Check now");
        }
        expect((await d.store.sessions().get(HEALTHY[1]!))?.status).toBe("error");
      });
      expect(output).toContain("Update handled");
      expect(output).toContain("Session auth failed");
      for (const secret of secrets) expect(output).not.toContain(secret);
    } finally {
      process.env.LOG_LEVEL = level;
    }
  });
});
