/**
 * 📈 Fleet from the AdminBot (issue 18): the real webhook handler on DynamoDB Local with run records written by the
 * real `recordFinished`, Telegram's Bot API replaced. An admin presses the menu's 📈 button and gets a photo: a PNG
 * of the last 30 days, decoded here and looked at, with the fleet now in the caption, in the admin's language. A
 * stranger pressing the same button gets no photo and reads no run record; an empty history says so instead of
 * sending an empty chart.
 */
import type { InputFile } from "grammy";
import { describe, expect, it } from "vitest";
import { cb } from "../../lib/bot/callback-data";
import { dayColumnX, FLEET_CHART_LAYOUT, STATUS_COLOURS } from "../../lib/chart/fleet-chart";
import { FLEET_CHART_DAYS } from "../../lib/chart/fleet-history";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import type { Phone } from "../../lib/sessions/phone";
import { createBotHarness } from "../support/bot-harness";
import { seedFleetRuns } from "../support/fleet-runs";
import { readPng } from "../support/png-inspect";

const OWNER = { id: 1801, is_bot: false, first_name: "Owner", language_code: "ru" };
const STRANGER = { id: 1899, is_bot: false, first_name: "Eve", language_code: "en" };

async function photoBytes(photo: unknown): Promise<Uint8Array> {
  const raw = await (photo as InputFile).toRaw();
  if (!(raw instanceof Uint8Array)) throw new Error("The photo was not uploaded as bytes.");
  return raw;
}

describe("📈 Fleet", () => {
  it("sends an admin the last 30 days as a PNG, captioned in their language; a stranger gets nothing", async () => {
    const h = await createBotHarness({ owner: OWNER });
    const runs = new HealthCheckRuns(h.store.doc, h.store.botStateTable, h.now);
    await seedFleetRuns(runs, h.now(), [
      { daysAgo: 12, active: 0, paused: 0, error: 25 },
      { daysAgo: 1, active: 40, paused: 5, error: 3, failed: 2 },
    ]);
    await h.seedSession("+998901800001" as Phone);

    await h.say(OWNER, "/start");
    h.dynamo.length = 0;
    await h.press(OWNER, "📈");

    expect(h.api.toasts()).toContain("📈 Рисую график…");
    const [photo, ...more] = h.api.callsOf("sendPhoto");
    expect(more).toEqual([]);
    expect(String(photo!.payload.chat_id)).toBe(String(OWNER.id));
    const caption = String(photo!.payload.caption);
    expect(caption).toContain("Сессии за 30 дней");
    // The fleet now (one active session), and the last run: the day before, 40 checked and 2 newly failed.
    expect(caption).toContain("🟢 1 активны");
    expect(caption).toMatch(/Последняя проверка \d{4}-\d\d-\d\d 03:01 UTC: проверено 42, новых ошибок 2/);
    expect(h.api.lastMessage(OWNER.id).buttons.map((b) => b.text)).toEqual(["🏠 Главное меню"]);

    const picture = readPng(await photoBytes(photo!.payload.photo));
    expect([picture.width, picture.height]).toEqual([FLEET_CHART_LAYOUT.width, FLEET_CHART_LAYOUT.height]);
    const { grid, height } = FLEET_CHART_LAYOUT;
    const x = (daysAgo: number) => dayColumnX(FLEET_CHART_DAYS - 1 - daysAgo, FLEET_CHART_DAYS);
    // The error-only day is red; the day before today is mostly green.
    expect(
      picture.countInColumn(x(12), grid.top, height - grid.bottom, STATUS_COLOURS.error),
    ).toBeGreaterThan(100);
    expect(picture.countInColumn(x(12), grid.top, height - grid.bottom, STATUS_COLOURS.active)).toBe(0);
    expect(
      picture.countInColumn(x(1), grid.top, height - grid.bottom, STATUS_COLOURS.active),
    ).toBeGreaterThan(100);
    // The history was read with the list of runs and one batch of records, not a scan.
    expect(h.dynamo.map((d) => d.command)).not.toContain("ScanCommand");
    // Item reads only: the AdminBot's role is granted no batch reads.
    expect(h.dynamo.map((d) => d.command)).not.toContain("BatchGetItemCommand");

    // A stranger pressing the same button: no photo, and no run record read.
    h.api.reset();
    h.dynamo.length = 0;
    await h.post(h.updates.press(STRANGER, cb.fleet));
    expect(h.api.callsOf("sendPhoto")).toEqual([]);
    expect(
      h.dynamo.filter((d) => d.command === "QueryCommand" || d.command === "BatchGetItemCommand"),
    ).toEqual([]);
  }, 60_000);

  it("says there is nothing to draw yet when no run recorded the fleet", async () => {
    const admin = { ...OWNER, id: 1802, language_code: "en" };
    const h = await createBotHarness({ owner: admin });
    await h.say(admin, "/start");
    await h.press(admin, "📈 Fleet");
    expect(h.api.callsOf("sendPhoto")).toEqual([]);
    expect(h.api.lastMessage(1802).text).toContain("nothing to draw yet");
  });
});
