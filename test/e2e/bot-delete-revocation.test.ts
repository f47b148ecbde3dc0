/**
 * 🗑️ Delete from the bot ends the key at Telegram too (issue 16), through the real webhook handler, the real userbot
 * layer and GramJS's real client on a loopback DC: an active session's key is logged out before its ciphertext is
 * destroyed (a later getMe with the old key gets AUTH_KEY_UNREGISTERED), the admin is told which of that, "already
 * refused" or "pending until <date>" happened, and the audit trail says the same.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import type { Phone } from "../../lib/sessions/phone";
import { createBotHarness, type BotHarness } from "../support/bot-harness";
import { ClientPool } from "../support/mtproto/clients";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

const OWNER = { id: 1301, is_bot: false, first_name: "Owner", language_code: "en" };

let dc: LoopbackDc;
let h: BotHarness;
let clients: ClientPool;
let seq = 0;

beforeAll(async () => {
  dc = await startLoopbackDc();
  h = await createBotHarness({ owner: OWNER, dc });
  clients = new ClientPool(dc);
});
afterEach(async () => {
  await clients.destroyAll();
  dc.clearScripts();
});
afterAll(async () => {
  await dc?.stop();
});

async function seed(): Promise<{ phone: Phone; sessionString: string }> {
  seq += 1;
  const phone = `+99890713${String(1000 + seq).slice(-4)}` as Phone;
  const userId = 830_000 + seq;
  const { sessionString } = dc.addAccount({ phone, userId, firstName: "Del", username: `del_${userId}` });
  await h.store
    .sessions({ now: h.now })
    .create({ phone, sessionString, account: { userId: String(userId) } });
  return { phone, sessionString };
}

/** getMe with `sessionString` on a fresh client: the user id, or Telegram's error name. */
function getMeWith(sessionString: string): Promise<string> {
  return clients.getMe(sessionString, { destroyAll: true });
}

async function openCardAndDelete(phone: Phone): Promise<string> {
  await h.say(OWNER, "/start");
  await h.press(OWNER, "📋 Sessions");
  await h.press(OWNER, "🟢 active");
  await h.press(OWNER, `🟢 ${phone}`);
  await h.press(OWNER, "🗑️ Delete");
  const confirm = h.api.lastMessage(OWNER.id).text;
  expect(confirm).toContain("Its key is logged out at Telegram first");
  await h.press(OWNER, "🗑️ Yes, delete");
  return h.api.lastMessage(OWNER.id).text;
}

async function auditOf(phone: Phone): Promise<string[]> {
  const day = h.now().toISOString().slice(0, 10);
  const entries = await new AuditLog(h.store.doc, h.store.botStateTable).day(day);
  return entries.filter((e) => e.phone === phone).map((e) => `${e.action} ${e.actor}: ${e.detail ?? ""}`);
}

describe("🗑️ Delete of an active session on a loopback DC", () => {
  it("logs the key out at Telegram, then destroys it: a later getMe with the old key gets AUTH_KEY_UNREGISTERED", async () => {
    const { phone, sessionString } = await seed();

    const text = await openCardAndDelete(phone);

    expect(h.api.toasts()).toContain(`🗑️ Logging ${phone} out at Telegram…`);
    expect(text).toContain(`🗑️ Session ${phone} logged out at Telegram and destroyed.`);
    expect(await h.store.sessions().get(phone)).toMatchObject({
      status: "deleted",
      hasSecret: false,
      revocation: { state: "logged-out", attempts: 1 },
    });
    expect(dc.keyState(sessionString).loggedInAs).toBeUndefined();
    expect(await getMeWith(sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    expect(await auditOf(phone)).toEqual([
      `session.deleted tg:${OWNER.id}: was active; logged out at Telegram and destroyed`,
    ]);
  });

  it("when Telegram cannot confirm (a flood wait), deletes it here, keeps the ciphertext for the retry and says until when", async () => {
    const { phone, sessionString } = await seed();
    dc.script(phone, { method: "auth.LogOut", error: { code: 420, message: "FLOOD_WAIT_30" } });

    const text = await openCardAndDelete(phone);

    const row = await h.store.sessions().get(phone);
    expect(row).toMatchObject({ status: "deleted", hasSecret: true, revocation: { state: "pending" } });
    const giveUpAt = row?.revocation?.state === "pending" ? row.revocation.giveUpAt : "";
    expect(Date.parse(giveUpAt) - h.now().getTime()).toBe(7 * 86_400_000);
    expect(text).toContain(`🗑️ Session ${phone} deleted here, but Telegram could not be reached`);
    expect(text).toContain(`retried by the cleanup until ${giveUpAt.slice(0, 16).replace("T", " ")} UTC`);
    // The key is still alive there: that is exactly why the ciphertext is kept.
    expect(dc.keyState(sessionString).loggedInAs).toBeDefined();
    const [entry] = await auditOf(phone);
    expect(entry).toContain("session.deleted");
    expect(entry).toContain(`the logout is retried until ${giveUpAt}`);
    // It is deleted for every purpose but the logout: not listed, not checked, the phone's counts moved.
    expect((await h.store.sessions().countByStatus()).deleted).toBeGreaterThan(0);
    // The main menu's fleet line says a logout is pending.
    await h.say(OWNER, "/start");
    expect(h.api.lastMessage(OWNER.id).text).toMatch(/⏳ 1 logout pending at Telegram/);
  });

  it("a session another job is using right now is not touched: the admin is told to try again", async () => {
    const { phone, sessionString } = await seed();
    const sessions = h.store.sessions({ now: () => new Date() });
    await sessions.acquireLease(phone, "health-check:run#1", 60_000);
    const accepted = dc.stats().connectionsAccepted;

    const text = await openCardAndDelete(phone);

    expect(text).toContain("Another job is using this session right now");
    expect(text).toContain("Status: 🟢 active");
    expect(dc.stats().connectionsAccepted).toBe(accepted);
    expect(await h.store.sessions().get(phone)).toMatchObject({ status: "active", hasSecret: true });
    expect(dc.keyState(sessionString).loggedInAs).toBeDefined();
    await sessions.releaseLease(phone, "health-check:run#1");
  });
});
