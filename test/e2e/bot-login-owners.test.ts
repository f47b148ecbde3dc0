/**
 * A login belongs to the admin who started it: a second admin's start for the same phone is refused (whose, and
 * until when, in their language) instead of silently replacing it; an owner may take it over with a confirmation,
 * which logs the replaced login's temporary key out at Telegram and tells its admin; and every later step (the
 * typed code, the keypad, the password, /cancel, a late answer) acts only on the admin's own login. Through the
 * real webhook handler and the real userbot layer, Telegram's Bot API and MTProto network faked.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { ChatMemory } from "../../lib/bot-state/chat-memory";
import { createBotHarness, type BotHarness } from "../support/bot-harness";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" };
const ADMIN = { id: 2002, is_bot: false, first_name: "Dilnoza", language_code: "en" };
const UZ_ADMIN = { id: 3003, is_bot: false, first_name: "Bobur", language_code: "uz" };
const PHONE = "+998935550404" as Phone;

let h: BotHarness;
beforeEach(async () => {
  h = await createBotHarness({ owner: OWNER });
  await h.admins.add({ userId: String(ADMIN.id), name: "Dilnoza", addedBy: "cli" });
  await h.admins.setLanguage(String(ADMIN.id), "en");
  await h.admins.add({ userId: String(UZ_ADMIN.id), name: "Bobur", addedBy: "cli" });
  h.telegram.addAccount({ phone: PHONE, userId: 5151, username: "owned_acc", firstName: "Owned" });
});

const sendCodes = () => h.telegram.calls.filter((c) => c.request === "auth.SendCode").length;
const flowItem = async () =>
  (await h.botStateItems()).find((i) => i.pk === `LOGIN#${PHONE}`) as
    { startedBy: string; flowId: string; attemptsLeft: number; expiresAtIso: string } | undefined;
/** "2026-12-03 07:45 UTC", as the bot prints a time. */
const shown = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

async function startLogin(from: typeof OWNER): Promise<void> {
  await h.say(from, "/add");
  await h.say(from, PHONE);
}

describe("a login in progress belongs to the admin who started it", () => {
  it("a second admin's start is refused in their language, with whose login it is and until when; nothing is sent", async () => {
    await startLogin(OWNER);
    const first = await flowItem();
    expect(first?.startedBy).toBe("tg:1001");

    await startLogin(UZ_ADMIN);
    const refusal = h.api.lastMessage(UZ_ADMIN.id);
    expect(refusal.text).toContain(`⛔ ${PHONE} raqamiga kirish allaqachon davom etmoqda`);
    expect(refusal.text).toContain("uni admin 1001 boshlagan");
    expect(refusal.text).toContain(`${shown(first!.expiresAtIso)} gacha`);
    // Not an owner: no take-over, only a way out.
    expect(refusal.buttons.map((b) => b.text)).toEqual(["✖️ Bekor qilish"]);
    // Telegram was not asked for a second code, and the owner's login is untouched.
    expect(sendCodes()).toBe(1);
    expect(await flowItem()).toEqual(first);

    // The owner's login goes on and completes as theirs.
    await h.say(OWNER, h.telegram.codes.get(PHONE)!.split("").join(" "));
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ Logged in");
  });

  it("an owner takes over an admin's login after confirming: the old key is logged out and its admin is told", async () => {
    await startLogin(ADMIN);
    const adminKeypad = h.api.lastMessage(ADMIN.id);
    const adminCode = h.telegram.codes.get(PHONE)!;
    const theirs = await flowItem();
    expect(theirs?.startedBy).toBe("tg:2002");

    await startLogin(OWNER);
    const refusal = h.api.lastMessage(OWNER.id);
    expect(refusal.text).toBe(
      `⛔ A login of ${PHONE} is already in progress, started by Dilnoza (id 2002), until ${shown(theirs!.expiresAtIso)}. ` +
        "Nothing was sent.\nWait for it to end, or take it over: theirs ends, and Telegram sends a new code.",
    );
    expect(sendCodes()).toBe(1);

    await h.press(OWNER, "⚠️ Take over");
    const confirm = h.api.lastMessage(OWNER.id);
    expect(confirm.text).toContain(`Take over the login of ${PHONE}? It was started by Dilnoza (id 2002)`);
    expect(confirm.buttons.map((b) => b.text)).toEqual(["✅ Yes, take it over", "✖️ Cancel"]);
    // Asking changed nothing yet.
    expect(await flowItem()).toEqual(theirs);
    expect(h.telegram.loggedOutKeys(PHONE)).toBe(0);

    await h.press(OWNER, "✅ Yes, take it over");
    expect(h.api.lastMessage(OWNER.id).text).toContain(`Telegram sent a login code to ${PHONE}`);
    const mine = await flowItem();
    expect(mine?.startedBy).toBe("tg:1001");
    expect(mine?.flowId).not.toBe(theirs?.flowId);
    // The replaced login's temporary key was logged out at Telegram.
    expect(h.telegram.loggedOutKeys(PHONE)).toBe(1);
    expect(h.api.lastMessage(ADMIN.id).text).toBe(
      `ℹ️ admin 1001 took over the login of ${PHONE}. Yours has ended; nothing was stored. ` +
        "Codes for it are no longer needed.",
    );

    // The admin's old keypad and a code typed late act on nothing (and the typed code is still deleted).
    const zero = adminKeypad.buttons.find((b) => b.text === "0")!;
    await h.post(h.updates.press(ADMIN, zero.data, adminKeypad.messageId));
    expect(h.api.chats.get(ADMIN.id)?.get(adminKeypad.messageId)?.text).toBe(
      "This login is no longer in progress. Press ➕ Add Session to start again.",
    );
    const late = h.updates.text(ADMIN, adminCode.split("").join(" "));
    await h.post(late);
    expect(h.api.callsOf("deleteMessage").map((c) => c.payload.message_id)).toContain(
      late.message!.message_id,
    );
    expect(h.telegram.calls.filter((c) => c.request === "auth.SignIn")).toHaveLength(0);
    expect((await flowItem())?.startedBy).toBe("tg:1001");

    await h.say(OWNER, h.telegram.codes.get(PHONE)!.split("").join(" "));
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ Logged in");
  });

  it("only an owner may take over, even with the button's data", async () => {
    await startLogin(OWNER);
    await startLogin(ADMIN);
    await h.post(h.updates.press(ADMIN, `T:${PHONE}`, h.api.lastMessage(ADMIN.id).messageId));
    expect(h.api.toasts()).toContain("Only an owner can take over another admin's login.");
    expect((await flowItem())?.startedBy).toBe("tg:1001");
    expect(sendCodes()).toBe(1);
    expect(h.telegram.loggedOutKeys(PHONE)).toBe(0);
  });

  it("a step still waiting for another admin's login (code, keypad, password, /cancel) acts on nothing", async () => {
    await startLogin(OWNER);
    const mine = await flowItem();
    // The admin's chat still waits for a code of this phone (their own login of it was taken over, say).
    const memory = new ChatMemory(h.store.doc, h.store.botStateTable, h.store.cipher, h.now);
    await memory.setPending(String(ADMIN.id), { kind: "login", phone: PHONE });

    const typed = h.updates.text(ADMIN, h.telegram.codes.get(PHONE)!.split("").join(" "));
    await h.post(typed);
    expect(h.api.lastMessage(ADMIN.id).text).toBe(
      `⛔ The login of ${PHONE} is no longer yours: admin 1001 took it over (until ${shown(mine!.expiresAtIso)}). ` +
        "What you sent was not used.",
    );
    expect(h.api.callsOf("deleteMessage").map((c) => c.payload.message_id)).toContain(
      typed.message!.message_id,
    );

    // The keypad: digits and ✅ reach no Telegram call either.
    await memory.setPending(String(ADMIN.id), { kind: "login", phone: PHONE, digits: "1234" });
    await h.post(h.updates.press(ADMIN, "k:5", 1));
    await h.post(h.updates.press(ADMIN, "k:s", 1));
    expect(h.api.lastMessage(ADMIN.id).text).toContain(`The login of ${PHONE} is no longer yours`);

    await memory.setPending(String(ADMIN.id), { kind: "login", phone: PHONE });
    await h.say(ADMIN, "a password");
    expect(h.api.lastMessage(ADMIN.id).text).toContain(`The login of ${PHONE} is no longer yours`);

    await memory.setPending(String(ADMIN.id), { kind: "login", phone: PHONE });
    await h.say(ADMIN, "/cancel");
    expect(h.api.lastMessage(ADMIN.id).text).toBe("Cancelled. Nothing was stored.");

    expect(h.telegram.calls.filter((c) => c.request === "auth.SignIn")).toHaveLength(0);
    expect(await flowItem()).toEqual(mine);
  });

  it("an admin's late answer to their expired login does not cancel the login another admin started since", async () => {
    await startLogin(ADMIN);
    h.advance(11 * 60);
    await startLogin(OWNER);
    const mine = await flowItem();
    expect(mine?.startedBy).toBe("tg:1001");

    await h.say(ADMIN, "1 2 3 4 5");
    expect(h.api.lastMessage(ADMIN.id).text).toContain("expired");
    expect(await flowItem()).toEqual(mine);
    await h.say(OWNER, h.telegram.codes.get(PHONE)!.split("").join(" "));
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ Logged in");
  });
});
