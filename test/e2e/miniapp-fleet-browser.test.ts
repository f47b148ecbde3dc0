/**
 * The Mini App's fleet page (issue 18) in headless Chromium against the real AdminBot handler served on a local HTTP
 * port, with run records on DynamoDB Local: an admin opens it from the 📈 Fleet photo's button as Telegram opens it
 * (initData in the URL fragment) and sees the chart of the last 30 days and the counts, in their language. A forged
 * initData is refused 401 before anything is read; a stranger's (validly signed, not an admin) 403 after reading only
 * the admin list: neither reads a session or a run record.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveLambda } from "../../infra/local/lambda-http";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import type { Phone } from "../../lib/sessions/phone";
import { BOT_TOKEN, createBotHarness } from "../support/bot-harness";
import { launchChromium } from "../support/browser";
import { realisticFleetMonth, seedFleetRuns } from "../support/fleet-runs";
import { signInitData } from "../support/init-data";
import { miniAppEvent } from "../support/miniapp-events";
import { readPng } from "../support/png-inspect";

const OWNER = { id: 1811, is_bot: false, first_name: "Owner", language_code: "en" };
const STRANGER_ID = 1899;
const MINI_APP_URL = "https://sk.example.org/login";
// Looked at by a person (a copy is docs/miniapp-fleet.png, shown in the README).
const SCREENSHOTS = join(process.cwd(), ".data", "screenshots");

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe("the Mini App fleet page in headless Chromium", () => {
  it("shows an admin the chart and the counts; a forged or a stranger's call gets nothing", async () => {
    const h = await createBotHarness({ owner: OWNER, env: { MINI_APP_URL } });
    await seedFleetRuns(
      new HealthCheckRuns(h.store.doc, h.store.botStateTable, h.now),
      h.now(),
      realisticFleetMonth(),
    );
    for (const n of [1, 2, 3]) await h.seedSession(`+99890181000${n}` as Phone, { userId: 7100 + n });

    // In the chat: 📈 Fleet's photo carries the page's button, beside the main menu.
    await h.say(OWNER, "/start");
    await h.press(OWNER, "📈 Fleet");
    const photo = h.api.lastMessage(OWNER.id);
    expect(photo.buttons[0]).toEqual({
      text: "📊 Open the fleet page",
      data: "",
      webApp: "https://sk.example.org/fleet",
    });

    const server = await serveLambda(h.handler);
    try {
      const page = await browser.newPage({ viewport: { width: 430, height: 640 }, deviceScaleFactor: 2 });
      const events: string[] = [];
      await page.exposeFunction("recordTelegramEvent", (type: string) => events.push(type));
      await page.addInitScript(() => {
        const w = globalThis as unknown as {
          TelegramWebviewProxy: unknown;
          recordTelegramEvent: (t: string) => void;
        };
        w.TelegramWebviewProxy = { postEvent: (type: string) => w.recordTelegramEvent(type) };
      });
      const cspViolations: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      h.dynamo.length = 0;
      const initData = signInitData(BOT_TOKEN, { userId: OWNER.id });
      await page.goto(`${server.url}/fleet#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0`);
      await page.waitForSelector("body[data-ready=chart]", { timeout: 30_000 });

      expect(await page.textContent("#title")).toBe("Fleet");
      // The chart: the SVG drawn server-side, shown as an image of its own size.
      const natural = await page.$eval("#chart", (img) => {
        const i = img as unknown as { naturalWidth: number; naturalHeight: number };
        return [i.naturalWidth, i.naturalHeight];
      });
      expect(natural).toEqual([1200, 600]);
      // The counts now: the three seeded sessions are active.
      const rows = await page.$$eval("#counts tr", (trs) =>
        trs.map((tr) => (tr as unknown as { textContent: string }).textContent),
      );
      expect(rows).toEqual(["Now", "active3", "paused0", "error0"]);
      expect(await page.textContent("#last")).toMatch(
        /^Last check \d{4}-\d\d-\d\d 03:01 UTC: \d+ checked, \d+ newly failed$/,
      );
      expect(cspViolations).toEqual([]);
      // Only its own origin (and the image it made itself).
      expect(requests.filter((u) => !u.startsWith(server.url) && !u.startsWith("blob:"))).toEqual([]);
      expect(events).toContain("web_app_ready");
      // Item reads only, never a scan.
      expect(h.dynamo.map((d) => d.command)).not.toContain("ScanCommand");

      mkdirSync(SCREENSHOTS, { recursive: true });
      const shot = await page.screenshot({ fullPage: true });
      writeFileSync(join(SCREENSHOTS, "miniapp-fleet.png"), shot);
      // Not a blank page: the chart's bars are in the screenshot.
      const picture = readPng(shot);
      expect(
        picture.countInBox({ x0: 0, x1: picture.width, y0: 0, y1: picture.height }, "#2e9d4b"),
      ).toBeGreaterThan(5_000);
      await page.close();

      // A forged initData (signed with another token): 401, and not one DynamoDB call.
      h.dynamo.length = 0;
      const forged = await h.handler(
        miniAppEvent("POST", "/fleet/data", {
          initData: signInitData("7000000001:AAH-not-our-token-000000000000000000", { userId: OWNER.id }),
        }),
      );
      expect(forged.statusCode).toBe(401);
      expect(JSON.parse(String(forged.body))).not.toHaveProperty("svg");
      expect(h.dynamo).toEqual([]);

      // A stranger with a valid signature: 403 after the admin lookup, and no session or run record read.
      const stranger = await h.handler(
        miniAppEvent("POST", "/fleet/data", { initData: signInitData(BOT_TOKEN, { userId: STRANGER_ID }) }),
      );
      expect(stranger.statusCode).toBe(403);
      const body = JSON.parse(String(stranger.body)) as Record<string, unknown>;
      expect(body).not.toHaveProperty("svg");
      expect(body).not.toHaveProperty("counts");
      expect(
        h.dynamo.map((d) => `${d.command} ${d.table === h.store.botStateTable ? "bot-state" : d.table}`),
      ).toEqual(["GetItemCommand bot-state"]);

      // Opened outside Telegram (no initData): the page says where to open it, and asks nothing.
      const bare = await browser.newPage();
      const bareRequests: string[] = [];
      bare.on("request", (r) => bareRequests.push(r.url()));
      await bare.goto(`${server.url}/fleet`);
      await bare.waitForSelector("body[data-ready=refused]");
      expect(await bare.textContent("#status")).toContain("Open this page from the bot");
      expect(bareRequests.filter((u) => u.includes("/fleet/data"))).toEqual([]);
      await bare.close();
    } finally {
      await server.close();
    }
  }, 90_000);
});
