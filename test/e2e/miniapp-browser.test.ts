/**
 * The Mini App login form in a real browser (headless Chromium) against the real AdminBot handler served on a local
 * HTTP port, with the real userbot layer on a loopback DC (a real 2FA check). An admin starts ➕ Add Session in the
 * chat, opens the form from its button as Telegram opens it (initData in the URL fragment, signed with the bot
 * token), types a wrong code, the right code, a wrong password and the right one: the session is stored `active`,
 * its card is posted in the chat, and the page asks Telegram to close it. The code and password never reach a chat
 * message, a URL or a log line.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveLambda, type LocalLambdaServer } from "../../infra/local/lambda-http";
import type { Phone } from "../../lib/sessions/phone";
import { BOT_TOKEN, createBotHarness, type BotHarness } from "../support/bot-harness";
import { launchChromium } from "../support/browser";
import { captureOutput } from "../support/capture-logs";
import { signInitData } from "../support/init-data";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

const OWNER = { id: 1301, is_bot: false, first_name: "Owner", language_code: "en" };
const PHONE = "+998935550177" as Phone;
const PASSWORD = "correct horse battery";
const FORM_URL = "https://sk.example.org/login";
const SCREENSHOTS = join(process.cwd(), ".data", "screenshots");

let dc: LoopbackDc;
let browser: Browser;
beforeAll(async () => {
  [dc, browser] = await Promise.all([startLoopbackDc(), launchChromium()]);
});
afterAll(async () => {
  await Promise.all([dc?.stop(), browser?.close()]);
});

/** Opens the form as a Telegram client does, recording what the page tells Telegram (web_app_close…). */
async function openForm(server: LocalLambdaServer, initData: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 390, height: 640 } });
  await page.addInitScript(() => {
    const w = globalThis as unknown as { telegramEvents: string[]; TelegramWebviewProxy: unknown };
    w.telegramEvents = [];
    w.TelegramWebviewProxy = { postEvent: (type: string) => w.telegramEvents.push(type) };
  });
  const theme = JSON.stringify({ bg_color: "#ffffff", text_color: "#222222", button_color: "#3390ec" });
  await page.goto(
    `${server.url}/login#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0` +
      `&tgWebAppPlatform=android&tgWebAppThemeParams=${encodeURIComponent(theme)}`,
  );
  return page;
}

/** A screenshot that shows the form: saved for a look, and checked to differ from the empty page. */
async function screenshot(page: Page, name: string): Promise<Buffer> {
  const shot = await page.screenshot();
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(join(SCREENSHOTS, `${name}.png`), shot);
  return shot;
}

async function submit(page: Page, value: string): Promise<string> {
  const before = await page.textContent("#status");
  await page.fill("#secret", value);
  await page.click("#submit");
  await page.waitForFunction(
    (prev) => {
      // In the page (the test's tsconfig has no DOM types).
      const doc = (
        globalThis as unknown as { document: { querySelector(q: string): { textContent: string } | null } }
      ).document;
      const s = doc.querySelector("#status")?.textContent ?? "";
      return s !== prev && !s.includes("…");
    },
    before,
    { timeout: 20_000 },
  );
  return (await page.textContent("#status")) ?? "";
}

describe("the Mini App login form in headless Chromium", () => {
  it("logs in by the form: wrong code, code, wrong password, password → active session, card in chat, page closed", async () => {
    const urls: string[] = [];
    let h!: BotHarness;
    let server!: LocalLambdaServer;
    const { output } = await captureOutput(async () => {
      h = await createBotHarness({ owner: OWNER, dc, env: { MINI_APP_URL: FORM_URL } });
      server = await serveLambda(h.handler);
      dc.addAccount({
        phone: PHONE,
        userId: 930_001,
        firstName: "Form",
        username: "form_user",
        code: "24680",
        password: PASSWORD,
        passwordHint: "the horse one",
      });

      // In the chat: ➕ Add Session, the phone; the code prompt offers the form first.
      await h.say(OWNER, "/add");
      await h.say(OWNER, PHONE);
      const prompt = h.api.lastMessage(OWNER.id);
      expect(prompt.buttons[0]).toEqual({ text: "🔐 Enter it in a secure form", data: "", webApp: FORM_URL });
      expect(prompt.buttons.map((b) => b.text)).toContain("✅");

      const page = await openForm(server, signInitData(BOT_TOKEN, { userId: OWNER.id }));
      // Every request the page makes once loaded (the four steps below).
      page.on("request", (r) => urls.push(r.url()));
      await page.waitForSelector("#form:not([hidden])");
      expect(await page.textContent("#who")).toBe(`Logging in ${PHONE}`);
      expect(await page.textContent("#label")).toBe("Login code (5 digits)");
      const empty = await browser.newPage({ viewport: { width: 390, height: 640 } });
      const blank = await empty.screenshot();
      await empty.close();
      const codeShot = await screenshot(page, "miniapp-code-step");
      expect(codeShot.equals(blank)).toBe(false);

      // API Gateway throttles one call: the page keeps the code step, and nothing was spent.
      await page.route(
        "**/login/code",
        (route) =>
          route.fulfill({
            status: 429,
            contentType: "application/json",
            body: '{"message":"Too Many Requests"}',
          }),
        { times: 1 },
      );
      expect(await submit(page, "11111")).toBe(
        "Something failed on our side; nothing was lost. Press the button again in a minute.",
      );
      expect(await page.isEnabled("#submit")).toBe(true);
      expect(await submit(page, "13579")).toBe("❌ Wrong code. 2 attempts left.");
      expect(await submit(page, "24680")).toBe(
        "Code accepted. This account has two-step verification: enter its password.",
      );
      expect(await page.textContent("#label")).toBe("Two-step verification password (hint: the horse one)");
      expect(await page.getAttribute("#secret", "type")).toBe("password");
      await screenshot(page, "miniapp-password-step");
      // The login's three tries are shared by its code and password steps: one went on the wrong code.
      expect(await submit(page, "wrong horse")).toBe(
        "❌ Wrong password (hint: the horse one). 1 attempt left.",
      );
      expect(await submit(page, PASSWORD)).toBe(
        "✅ Logged in. The session card is in the chat; this form closes.",
      );
      await screenshot(page, "miniapp-logged-in");
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { telegramEvents: string[] }).telegramEvents.includes("web_app_close"),
        undefined,
        { timeout: 5_000 },
      );
      const events = await page.evaluate(
        () => (globalThis as unknown as { telegramEvents: string[] }).telegramEvents,
      );
      expect(events).toEqual(["web_app_ready", "web_app_expand", "web_app_close"]);
      await page.close();
    });
    try {
      // The session is stored, active, as the account that logged in.
      const session = await h.store.sessions({ now: h.now }).get(PHONE);
      expect(session).toMatchObject({
        status: "active",
        account: { userId: "930001", username: "form_user" },
      });
      // The bot posted its card in the chat, and waits for nothing more from this admin.
      const card = h.api.lastMessage(OWNER.id);
      expect(card.text).toContain("✅ Logged in: the session is active.");
      expect(card.text).toContain(PHONE);
      expect(await h.botStateItems()).not.toContainEqual(
        expect.objectContaining({ pk: `INPUT#${OWNER.id}` }),
      );

      // The code and password travelled only in POST bodies: in no URL, no chat message, no log line.
      expect(urls.map((u) => new URL(u).pathname)).toEqual([
        "/login/code",
        "/login/code",
        "/login/code",
        "/login/password",
        "/login/password",
      ]);
      const chat = JSON.stringify(h.api.calls);
      for (const secret of ["24680", "13579", "11111", PASSWORD, "wrong horse"]) {
        expect(urls.join(" ")).not.toContain(secret);
        expect(chat).not.toContain(secret);
        expect(output).not.toContain(secret);
      }
    } finally {
      await server.close();
    }
  });

  it("shows why it cannot go on: opened outside Telegram, by a stranger, or with no login waiting", async () => {
    const h = await createBotHarness({ owner: OWNER, dc, env: { MINI_APP_URL: FORM_URL } });
    const server = await serveLambda(h.handler);
    try {
      const outside = await browser.newPage();
      await outside.goto(`${server.url}/login`);
      await outside.waitForSelector("#close:not([hidden])");
      expect(await outside.textContent("#status")).toBe("Open this form from the bot's button in Telegram.");
      expect(await outside.isHidden("#form")).toBe(true);

      const stranger = await openForm(
        server,
        signInitData(BOT_TOKEN, { userId: 999_001, languageCode: "ru" }),
      );
      await stranger.waitForSelector("#close:not([hidden])");
      expect(await stranger.textContent("#status")).toBe("Вы не администратор этого бота.");

      const idle = await openForm(server, signInitData(BOT_TOKEN, { userId: OWNER.id }));
      await idle.waitForSelector("#close:not([hidden])");
      expect(await idle.textContent("#status")).toBe(
        "None of your logins is waiting for a code or password. Start one with ➕ Add Session.",
      );
      await screenshot(idle, "miniapp-no-login");
      expect(await idle.isHidden("#form")).toBe(true);
    } finally {
      await server.close();
    }
  });
});
