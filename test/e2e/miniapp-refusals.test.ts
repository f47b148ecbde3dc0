/**
 * The Mini App's routes refuse every call that is not an admin's own, fresh, Telegram-signed one, before anything
 * is written or Telegram is asked: forged, tampered, expired and non-admin initData, another admin's login, junk
 * bodies. And the form's steps act as the chat's do: a wrong code spends a try and says how many remain, the third
 * ends the login in the page and in the chat.
 */
import { ThrottlingException } from "@aws-sdk/client-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { BOT_TOKEN, createBotHarness, type BotHarness } from "../support/bot-harness";
import { signInitData } from "../support/init-data";
import { miniAppEvent } from "../support/miniapp-events";

const OWNER = { id: 1401, is_bot: false, first_name: "Owner", language_code: "en" };
const OTHER_ADMIN = { id: 1402, is_bot: false, first_name: "Other", language_code: "uz" };
const PHONE = "+998935550188" as Phone;
const FORM_URL = "https://sk.example.org/login";
const WRITES = /Put|Update|Delete|Write/;

let h: BotHarness;
beforeEach(async () => {
  h = await createBotHarness({ owner: OWNER, env: { MINI_APP_URL: FORM_URL } });
  await h.admins.add({ userId: String(OTHER_ADMIN.id), role: "admin", addedBy: "cli" });
  h.telegram.addAccount({ phone: PHONE, userId: 940_001, firstName: "Acc" });
  await h.say(OWNER, "/add");
  await h.say(OWNER, PHONE);
});

async function call(path: string, body: unknown) {
  const res = await h.handler(miniAppEvent("POST", path, body));
  return { status: res.statusCode, body: JSON.parse(res.body ?? "{}") as Record<string, unknown> };
}

const own = (extra: Partial<Parameters<typeof signInitData>[1]> = {}) =>
  signInitData(BOT_TOKEN, { userId: OWNER.id, ...extra });

describe("the Mini App refuses what is not the admin's own call", () => {
  it("refuses forged, tampered, expired, stranger and other-admin calls with no write and no Telegram call", async () => {
    const code = h.telegram.codes.get(PHONE)!;
    const flowBefore = (await h.botStateItems()).find((i) => i.pk === `LOGIN#${PHONE}`);
    const telegramBefore = h.telegramRequests.length;
    const signed = own();
    const cases: [string, unknown, number, string][] = [
      [
        "forged",
        signInitData("7000000002:AAH-forged-token-0123456789abcdefghij", { userId: OWNER.id }),
        401,
        "init-data",
      ],
      [
        "tampered",
        signed.replace(encodeURIComponent(`"id":${OWNER.id}`), encodeURIComponent('"id":1403')),
        401,
        "init-data",
      ],
      ["expired", own({ authDate: Math.floor(Date.now() / 1000) - 16 * 60 }), 401, "init-data"],
      ["missing", undefined, 401, "init-data"],
      ["stranger", signInitData(BOT_TOKEN, { userId: 999_002 }), 403, "not-admin"],
      ["other admin", signInitData(BOT_TOKEN, { userId: OTHER_ADMIN.id }), 409, "no-flow"],
    ];
    h.dynamo.length = 0;
    for (const [name, initData, status, error] of cases) {
      for (const step of ["state", "code"]) {
        const res = await call(`/login/${step}`, { initData, code });
        expect({ name, step, status: res.status, error: res.body.error }).toEqual({
          name,
          step,
          status,
          error,
        });
        expect(res.body.done).toBe(true);
      }
    }
    expect(h.dynamo.filter((c) => WRITES.test(c.command))).toEqual([]);
    expect(h.telegramRequests.length).toBe(telegramBefore);
    expect((await h.botStateItems()).find((i) => i.pk === `LOGIN#${PHONE}`)).toEqual(flowBefore);
    // Each refusal says what to do, in the caller's language when Telegram named it.
    expect((await call("/login/state", { initData: own({ authDate: 1 }) })).body.message).toBe(
      "This form was opened too long ago. Close it and open it again from the chat.",
    );
    expect(
      (
        await call("/login/state", {
          initData: signInitData(BOT_TOKEN, { userId: OTHER_ADMIN.id, languageCode: "uz" }),
        })
      ).body.message,
    ).toBe("Sizning birorta kirishingiz kod yoki parol kutmayapti. ➕ Sessiya qo‘shish bilan boshlang.");
  });

  it("answers junk with 400/404 and serves the page with a strict Content-Security-Policy", async () => {
    for (const body of ["", "not json", "[1,2]", JSON.stringify({ initData: "x".repeat(9000) })]) {
      expect((await h.handler(miniAppEvent("POST", "/login/code", body))).statusCode).toBe(400);
    }
    expect((await h.handler(miniAppEvent("POST", "/login/admin", { initData: own() }))).statusCode).toBe(404);
    expect((await h.handler(miniAppEvent("GET", "/login/code"))).statusCode).toBe(404);
    const page = await h.handler(miniAppEvent("GET", "/login"));
    expect(page.statusCode).toBe(200);
    expect(page.headers?.["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers?.["cache-control"]).toBe("no-store");
    const csp = String(page.headers?.["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).toContain("connect-src 'self'");
    expect(page.body).not.toMatch(/<script[^>]+src=/);
  });

  it("answers the login form and the fleet page with the same guarding headers, each page with its own CSP", async () => {
    const login = await h.handler(miniAppEvent("GET", "/login"));
    const fleet = await h.handler(miniAppEvent("GET", "/fleet"));
    const refused = await h.handler(miniAppEvent("POST", "/fleet/data", "not json"));
    const guards = {
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    };
    for (const answer of [login, fleet, refused]) expect(answer.headers).toMatchObject(guards);
    expect(fleet.headers?.["content-type"]).toBe("text/html; charset=utf-8");
    expect(refused.headers?.["content-type"]).toBe("application/json; charset=utf-8");
    const [loginCsp, fleetCsp] = [login, fleet].map((p) => String(p.headers?.["content-security-policy"]));
    // The fleet page alone draws its chart from a blob: image; both allow only their own inline script.
    expect(fleetCsp).toContain("img-src blob:");
    expect(loginCsp).not.toContain("img-src");
    for (const csp of [loginCsp, fleetCsp]) {
      expect(csp).toContain("frame-ancestors https://web.telegram.org");
      expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-/);
    }
    expect(loginCsp).not.toBe(fleetCsp);
  });
});

describe("the form's steps", () => {
  it("a wrong code spends a try; the third ends the login on the page and in the chat", async () => {
    const res1 = await call("/login/code", { initData: own(), code: "00000" });
    expect(res1.body).toMatchObject({
      step: "code",
      failed: true,
      message: "❌ Wrong code. 2 attempts left.",
    });
    await call("/login/code", { initData: own(), code: "00001" });
    const res3 = await call("/login/code", { initData: own(), code: "00002" });
    expect(res3.body).toMatchObject({ done: true, failed: true });
    expect(res3.body.message).toBe(
      "Too many wrong attempts: the login was stopped. Start again with ➕ Add Session.",
    );
    expect(h.api.lastMessage(OWNER.id).text).toBe(
      "Too many wrong attempts: the login was stopped. Start again with ➕ Add Session.",
    );
    expect((await call("/login/state", { initData: own() })).status).toBe(409);
    expect(await h.store.sessions({ now: h.now }).get(PHONE)).toBeUndefined();
  });

  it("the right code logs in: the card is posted in the chat and the chat waits for nothing more", async () => {
    const code = h.telegram.codes.get(PHONE)!;
    const res = await call("/login/code", { initData: own(), code: code.split("").join(" ") });
    expect(res.body).toMatchObject({ done: true, success: true });
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ Logged in: the session is active.");
    expect(await h.store.sessions({ now: h.now }).get(PHONE)).toMatchObject({ status: "active" });
    // The keypad in the chat is over too: a press says so instead of sending anything.
    await h.say(OWNER, "1 2 3 4 5");
    expect(JSON.stringify(h.api.calls)).not.toContain(code);
  });

  it("a stale page (the login moved on in the chat) shows the step that waits now, spending nothing", async () => {
    await h.say(OWNER, "/cancel");
    expect((await call("/login/code", { initData: own(), code: "12345" })).status).toBe(409);
    expect(h.telegramRequests.filter((r) => r.className === "auth.SignIn")).toEqual([]);
  });

  it("a failure on our side (DynamoDB throttled) answers 503 with a retry message; the login is untouched", async () => {
    let failing = true;
    const f = await createBotHarness({
      owner: OWNER,
      env: { MINI_APP_URL: FORM_URL },
      dynamoFault: (command) =>
        failing && command === "GetItemCommand"
          ? new ThrottlingException({ message: "Rate exceeded", $metadata: {} })
          : undefined,
    });
    failing = false;
    f.telegram.addAccount({ phone: PHONE, userId: 940_002, firstName: "Acc" });
    await f.say(OWNER, "/add");
    await f.say(OWNER, PHONE);
    failing = true;
    const res = await f.handler(miniAppEvent("POST", "/login/code", { initData: own(), code: "12345" }));
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body ?? "{}")).toEqual({
      error: "unavailable",
      failed: true,
      message: "Something failed on our side; nothing was lost. Press the button again in a minute.",
    });
    failing = false;
    const state = await f.handler(miniAppEvent("POST", "/login/state", { initData: own() }));
    expect(JSON.parse(state.body ?? "{}")).toMatchObject({ step: "code", label: "Login code (5 digits)" });
  });
});
