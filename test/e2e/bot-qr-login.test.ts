/**
 * ➕ Add Session → 📷 QR code through the real webhook handler, the real userbot layer and a loopback DC: the QR
 * image the bot uploads is decoded as a phone would read it, and that URL is what the account's owner "scans"
 * (`dc.scanLoginToken`). Not scanned yet, expired and renewed in place, scanned and logged in, pressed again after
 * success, 2FA through the Mini App form and through the chat, and an account on another DC.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { BOT_TOKEN, createBotHarness, type BotHarness } from "../support/bot-harness";
import { captureOutput } from "../support/capture-logs";
import { signInitData } from "../support/init-data";
import { miniAppEvent } from "../support/miniapp-events";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";
import { decodeQrPhoto } from "../support/qr-decode";

const OWNER = { id: 1501, is_bot: false, first_name: "Owner", language_code: "en" };
const FORM_URL = "https://sk.example.org/login";

let dc: LoopbackDc;
let dc4: LoopbackDc;
beforeAll(async () => {
  [dc, dc4] = await Promise.all([startLoopbackDc(), startLoopbackDc({ dcId: 4 })]);
  dc.linkDc(dc4);
});
afterAll(async () => {
  await Promise.all([dc?.stop(), dc4?.stop()]);
});

let nextUser = 950_000;
function account(where: LoopbackDc, spec: { password?: string; passwordHint?: string } = {}) {
  nextUser += 1;
  const phone = `+99893${String(nextUser).padStart(7, "0")}` as Phone;
  where.addAccount({ phone, userId: nextUser, firstName: "Qr", username: `qr_${nextUser}`, ...spec });
  return { phone, userId: nextUser };
}

/** ➕ Add Session → 📷: the photo message, and the login URL its QR code holds. */
async function startQr(h: BotHarness) {
  await h.say(OWNER, "/add");
  expect(h.api.lastMessage(OWNER.id).buttons.map((b) => b.text)).toEqual([
    "📷 Log in with a QR code (recommended)",
    "✖️ Cancel",
  ]);
  await h.press(OWNER, "📷");
  const photo = h.api.lastMessage(OWNER.id);
  expect(photo.photos).toHaveLength(1);
  return { photo, url: await decodeQrPhoto(photo.photos![0]) };
}

async function pressScanned(h: BotHarness, messageId: number) {
  return h.post(h.updates.press(OWNER, "Qs", messageId));
}

describe("QR login from the bot", () => {
  it("not yet → scanned → logged in; a second press after success changes nothing", async () => {
    const h = await createBotHarness({ owner: OWNER, dc, env: { MINI_APP_URL: FORM_URL } });
    const acc = account(dc);
    const { photo, url } = await startQr(h);
    expect(url).toMatch(/^tg:\/\/login\?token=[A-Za-z0-9_-]+$/);
    expect(photo.text).toContain("Telegram → Settings → Devices → <b>Link Desktop Device</b>");
    // The countdown: the token's expiry (30 s at the DC) in seconds from the bot's clock (the test's).
    const shown = /⏳ Valid for (\d+) s, until (\d\d:\d\d:\d\d) UTC/.exec(photo.text);
    expect(shown).not.toBeNull();
    let until = Date.parse(`${h.now().toISOString().slice(0, 10)}T${shown![2]}Z`);
    if (until < h.now().getTime() - 3_600_000) until += 86_400_000; // past midnight UTC

    expect(Math.abs(Number(shown![1]) - (until - h.now().getTime()) / 1000)).toBeLessThanOrEqual(1);
    expect(Number(shown![1])).toBeGreaterThanOrEqual(25);
    expect(photo.buttons.map((b) => b.text)).toEqual(["✅ I scanned it", "✖️ Cancel"]);

    await pressScanned(h, photo.messageId);
    expect(h.api.toasts().at(-1)).toBe("Not scanned yet. Scan the code, then press the button again.");
    expect(await h.store.sessions({ now: h.now }).get(acc.phone)).toBeUndefined();

    dc.scanLoginToken(url, acc.phone);
    await pressScanned(h, photo.messageId);
    expect(photo.text).toBe("✅ Scanned and logged in.");
    expect(photo.buttons).toEqual([]);
    const card = h.api.lastMessage(OWNER.id);
    expect(card.text).toContain("✅ Logged in: the session is active.");
    expect(card.text).toContain(acc.phone);
    const session = await h.store.sessions({ now: h.now }).get(acc.phone);
    expect(session).toMatchObject({ status: "active", account: { userId: String(acc.userId) } });

    const requests = h.telegramRequests.length;
    const sent = h.api.callsOf("sendMessage").length;
    await pressScanned(h, photo.messageId);
    expect(h.api.toasts().at(-1)).toBe(
      "This QR login is over (finished, cancelled or expired). Press ➕ Add Session to start again.",
    );
    expect(h.telegramRequests.length).toBe(requests);
    expect(h.api.callsOf("sendMessage").length).toBe(sent);
    expect(await h.store.sessions({ now: h.now }).get(acc.phone)).toEqual(session);
  });

  it("an expired code is replaced in the same photo, and the new one logs in", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    const acc = account(dc);
    dc.setLoginTokenTtl(1_000);
    try {
      const { photo, url } = await startQr(h);
      await new Promise((r) => setTimeout(r, 1_200));
      await pressScanned(h, photo.messageId);
      expect(photo.photos).toHaveLength(2);
      expect(photo.text).toMatch(/^The previous code expired unscanned; here is a new one\./);
      const renewed = await decodeQrPhoto(photo.photos![1]);
      expect(renewed).not.toBe(url);
      dc.setLoginTokenTtl(30_000);
      dc.scanLoginToken(renewed, acc.phone);
      await pressScanned(h, photo.messageId);
      expect(await h.store.sessions({ now: h.now }).get(acc.phone)).toMatchObject({ status: "active" });
    } finally {
      dc.setLoginTokenTtl(30_000);
    }
  });

  it("2FA after the scan, through the Mini App form: wrong password, then right; the card comes to the chat", async () => {
    const h = await createBotHarness({ owner: OWNER, dc, env: { MINI_APP_URL: FORM_URL } });
    const acc = account(dc4, { password: "qr horse", passwordHint: "stable" });
    const { photo, url } = await startQr(h);
    dc.scanLoginToken(url, acc.phone);
    await pressScanned(h, photo.messageId);
    expect(photo.text).toBe("✅ Scanned.");
    const ask = h.api.lastMessage(OWNER.id);
    expect(ask.text).toContain("two-step verification");
    expect(ask.text).toContain("(hint: stable)");
    expect(ask.buttons[0]).toEqual({ text: "🔐 Enter it in a secure form", data: "", webApp: FORM_URL });

    const initData = signInitData(BOT_TOKEN, { userId: OWNER.id });
    const call = async (path: string, body: Record<string, unknown>) => {
      const res = await h.handler(miniAppEvent("POST", path, { initData, ...body }));
      return JSON.parse(res.body ?? "{}") as Record<string, unknown>;
    };
    const { output } = await captureOutput(async () => {
      expect(await call("/login/state", {})).toMatchObject({
        step: "password",
        who: "Logging in the account that scanned the QR code",
        label: "Two-step verification password (hint: stable)",
      });
      expect(await call("/login/password", { password: "wrong horse" })).toMatchObject({
        step: "password",
        failed: true,
        message: "❌ Wrong password (hint: stable). 2 attempts left.",
      });
      expect(await call("/login/password", { password: "qr horse" })).toMatchObject({
        done: true,
        success: true,
      });
    });
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ Logged in: the session is active.");
    // The account lives on DC 4: the stored session works there.
    expect(await h.store.sessions({ now: h.now }).get(acc.phone)).toMatchObject({
      status: "active",
      account: { userId: String(acc.userId) },
    });
    for (const secret of ["qr horse", "wrong horse", url]) expect(output).not.toContain(secret);
  });

  it("2FA after the scan, typed in the chat: the message is deleted and the login completes", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    const acc = account(dc, { password: "chat horse" });
    const { photo, url } = await startQr(h);
    dc.scanLoginToken(url, acc.phone);
    await pressScanned(h, photo.messageId);
    const deletedBefore = h.api.callsOf("deleteMessage").length;
    await h.say(OWNER, "chat horse");
    expect(h.api.callsOf("deleteMessage").length).toBe(deletedBefore + 1);
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ Logged in: the session is active.");
    expect(await h.store.sessions({ now: h.now }).get(acc.phone)).toMatchObject({ status: "active" });
    // (The photo uploads are left out: an InputFile refuses to be serialized outside grammY.)
    const texts = h.api.calls.filter((c) => !["sendPhoto", "editMessageMedia"].includes(c.method));
    expect(JSON.stringify(texts)).not.toContain("chat horse");
  });

  it("/cancel ends a QR login: the button then says it is over, nothing is stored", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    const acc = account(dc);
    const { photo, url } = await startQr(h);
    await h.say(OWNER, "/cancel");
    expect(h.api.lastMessage(OWNER.id).text).toBe("Cancelled. Nothing was stored.");
    // The code shown is dead at Telegram: its temporary key was logged out.
    expect(() => dc.scanLoginToken(url, acc.phone)).toThrow("AUTH_TOKEN_INVALID");
    await pressScanned(h, photo.messageId);
    expect(h.api.toasts().at(-1)).toContain("This QR login is over");
    expect(await h.store.sessions({ now: h.now }).get(acc.phone)).toBeUndefined();
  });

  it("a number stored for another account is not taken over: the admin is told why, the stored session stays", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    const acc = account(dc);
    const old = account(dc);
    const sessions = h.store.sessions({ now: h.now });
    const { sessionString } = dc.issueSession(old.phone);
    await sessions.create({ phone: acc.phone, sessionString, account: { userId: "111" } });
    const before = await sessions.get(acc.phone);
    const { photo, url } = await startQr(h);
    dc.scanLoginToken(url, acc.phone);
    await pressScanned(h, photo.messageId);
    expect(h.api.lastMessage(OWNER.id).text).toBe(
      `The account that scanned the code has the number ${acc.phone}, which is stored here for another Telegram ` +
        "account. Nothing was changed. If the number changed hands, delete that session first, then scan again.",
    );
    expect(photo.buttons).toEqual([]);
    expect(await sessions.get(acc.phone)).toEqual(before);
  });
});
