/**
 * The account's other devices from the AdminBot (issue 16), on a loopback DC (GramJS's real transport), the real
 * webhook handler, the real daily check (dispatch + worker) and the AdminBot's real notifier: a login added at the DC
 * between two checks is reported once as a possible takeover, an owner ends it from the summary's button after a
 * confirmation, an admin who is not an owner cannot, and a key younger than 24 h is told from when it can.
 */
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDispatchHandler } from "../../functions/health-check-dispatch";
import { createWorkerHandler } from "../../functions/health-check-worker";
import { healthCheckNotifier } from "../../lib/bot/health-summary";
import { createNotifier } from "../../lib/bot/notifier";
import { cb } from "../../lib/bot/callback-data";
import { HealthCheckRuns, InMemoryCheckQueue, noMetrics } from "../../lib/jobs";
import { createLogger } from "../../lib/log";
import type { Phone } from "../../lib/sessions/phone";
import { BOT_TOKEN, createBotHarness, type BotHarness } from "../support/bot-harness";
import { dcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

const OWNER = { id: 1601, is_bot: false, first_name: "Owner", language_code: "en" };
const ADMIN = { id: 1602, is_bot: false, first_name: "Admin", language_code: "en" };
const HOUR = 3_600_000;

let dc: LoopbackDc;
beforeAll(async () => {
  dc = await startLoopbackDc();
});
afterAll(async () => {
  await dc?.stop();
});

let nextUser = 916_000;
async function seedAccount(h: BotHarness, phone: Phone, keyAgeHours: number): Promise<void> {
  const { sessionString } = dc.addAccount({ phone, userId: ++nextUser, firstName: "Fleet" });
  dc.setKeyCreatedAt({ sessionString }, new Date(Date.now() - keyAgeHours * HOUR));
  await h.store.sessions().create({ phone, sessionString, account: { userId: String(nextUser) } });
}

/** One scheduled run of the daily check (dispatch, then the worker on every queued message), day `day`. */
async function dailyCheck(h: BotHarness, day: number): Promise<void> {
  const api = new Api(BOT_TOKEN);
  api.config.use(h.api.transformer);
  const logger = createLogger({ service: "test", level: "ERROR" });
  const sessions = h.store.sessions();
  const common = {
    sessions,
    runs: new HealthCheckRuns(h.store.doc, h.store.botStateTable),
    logger,
    metrics: noMetrics,
    now: () => new Date(),
    notify: healthCheckNotifier(createNotifier(api, h.admins, logger), logger),
  };
  const queue = new InMemoryCheckQueue();
  const scheduledTime = new Date(Date.UTC(2026, 11, day)).toISOString();
  await createDispatchHandler(() => ({ ...common, queue }))({ scheduledTime });
  const worker = createWorkerHandler(() => ({
    ...common,
    userbots: dcHarness(h.store, dc).services.userbots,
    concurrency: 2,
    checkDeadlineMs: 10_000,
  }));
  for (const event of queue.drain(10)) await worker(event, { getRemainingTimeInMillis: () => 55_000 });
}

function sentTo(h: BotHarness, chatId: number): string[] {
  return h.api
    .callsOf("sendMessage")
    .filter((c) => String(c.payload.chat_id) === String(chatId))
    .map((c) => String(c.payload.text));
}

describe("a new login on a kept account", () => {
  it("is reported once; an owner ends it from the summary after confirming; an admin cannot", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    await h.admins.add({ userId: String(ADMIN.id), addedBy: "cli" });
    await h.admins.setLanguage(String(OWNER.id), "en");
    await h.admins.setLanguage(String(ADMIN.id), "en");
    const phone = "+998931600001" as Phone;
    await seedAccount(h, phone, 30);
    const known = dc.addAuthorization(phone, { deviceModel: "iPad", appName: "Telegram iOS" });

    // Day 1: the first read of the account's logins is the baseline, and all is well: nobody is told anything.
    await dailyCheck(h, 1);
    expect(h.api.callsOf("sendMessage")).toHaveLength(0);

    const intruder = dc.addAuthorization(phone, {
      deviceModel: "Xiaomi 13",
      platform: "Android",
      systemVersion: "14",
      appName: "Telegram Android",
      appVersion: "11.2.3",
      country: "Netherlands",
    });

    // Day 2: both admins hear of it once; only the owner gets the buttons.
    await dailyCheck(h, 2);
    const [toOwner] = sentTo(h, OWNER.id);
    expect(toOwner).toContain("New login");
    expect(toOwner).toContain(
      `<code>${phone}</code>: new login on Xiaomi 13 (Android 14), Telegram Android 11.2.3, from Netherlands`,
    );
    expect(sentTo(h, ADMIN.id)).toHaveLength(1);
    expect(h.api.lastMessage(ADMIN.id).buttons).toEqual([]);
    expect(h.api.lastMessage(OWNER.id).buttons.map((b) => b.text)).toEqual([
      `⛔ ${phone}: end Xiaomi 13 (Android 14)`,
      `⛔ ${phone}: end all other devices`,
    ]);

    // Day 3: nothing new, nothing said.
    await dailyCheck(h, 3);
    expect(h.api.callsOf("sendMessage")).toHaveLength(2);

    // An admin who is not an owner is refused, even with the owner's button data; Telegram is not asked.
    await h.post(h.updates.press(ADMIN, cb.endDevice(phone, String(intruder))));
    await h.post(h.updates.press(ADMIN, cb.askEndOthers(phone)));
    expect(h.api.toasts().filter((t) => t === "Only an owner can end a device.")).toHaveLength(2);
    expect(dc.authorizationsOf(phone).map((a) => a.hash)).toContain(intruder);

    // The owner: the button asks first, naming the device; "Yes" ends it at the DC.
    await h.press(OWNER, `⛔ ${phone}: end Xiaomi 13`);
    expect(h.api.lastMessage(OWNER.id).text).toContain("End the login on <b>Xiaomi 13, Telegram Android</b>");
    expect(dc.authorizationsOf(phone).map((a) => a.hash)).toContain(intruder);
    await h.press(OWNER, "⛔ Yes, end it");
    const list = h.api.lastMessage(OWNER.id).text;
    expect(list).toContain("✅ Ended: that device is logged out.");
    expect(list).toContain(`Devices of ${phone}`);
    expect(list).not.toContain("Xiaomi 13");
    const left = dc.authorizationsOf(phone).map((a) => a.hash);
    expect(left).not.toContain(intruder);
    expect(left).toContain(known);
    // Our own session still works.
    expect((await h.store.sessions().get(phone))?.status).toBe("active");
  });

  it("from a key younger than 24 h, says from when ending becomes possible and changes nothing", async () => {
    const h = await createBotHarness({ owner: OWNER, dc });
    const phone = "+998931600002" as Phone;
    await seedAccount(h, phone, 2);
    const other = dc.addAuthorization(phone, { deviceModel: "Pixel 8", appName: "Telegram Android" });

    await h.say(OWNER, "/start");
    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, /^🟢 active/);
    await h.press(OWNER, `🟢 ${phone}`);
    await h.press(OWNER, "📱 Devices");
    const list = h.api.lastMessage(OWNER.id).text;
    expect(list).toContain("⭐ <b>this session</b> Session Keeper");
    expect(list).toContain("Pixel 8");
    expect(list).toMatch(
      /younger than 24 h: Telegram lets it end other devices from \d{4}-\d\d-\d\d \d\d:\d\d UTC/,
    );

    await h.press(OWNER, "⛔ End all other devices");
    expect(h.api.lastMessage(OWNER.id).text).toContain("End <b>every other login</b>");
    await h.press(OWNER, "⛔ Yes, end it");

    const answer = h.api.lastMessage(OWNER.id).text;
    const from = /other devices from (\d{4}-\d\d-\d\d \d\d:\d\d) UTC/.exec(answer)?.[1];
    expect(answer).toContain("⏳ Not yet: this session's key is younger than 24 h");
    expect(Date.parse(`${from!.replace(" ", "T")}:00Z`) - Date.now()).toBeGreaterThan(21 * HOUR);
    expect(dc.authorizationsOf(phone).map((a) => a.hash)).toContain(other);
  });
});
