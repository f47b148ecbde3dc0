/**
 * Every way in that must change nothing: forged or missing secret, strangers, duplicate deliveries, unknown and
 * stale buttons, a malformed phone, each refusal Telegram gives a login, a wrong code or password, an expired or
 * cancelled flow. Each gets a clear answer (or none, for what is not Telegram), and the tables show nothing was
 * written. Logins run on the real userbot layer; Telegram's answers come from the fake under GramJS's real client,
 * as GramJS's own error classes.
 */
import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import { Api } from "telegram";
import { beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { BOT_TOKEN, createBotHarness, type BotHarness } from "../support/bot-harness";
import { API_ID } from "../support/fake-telegram-harness";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" };
const STRANGER = { id: 4242, is_bot: false, first_name: "Eve", language_code: "uz" };
const PHONE = "+998935550101" as Phone;

let h: BotHarness;
beforeEach(async () => {
  h = await createBotHarness({ owner: OWNER });
});

describe("the webhook", () => {
  it("answers 401 to a forged or missing secret header, and processes and writes nothing", async () => {
    const before = await h.botStateItems();
    expect((await h.post(h.updates.text(OWNER, "/start"), "wrong_secret_0123456789")).statusCode).toBe(401);
    expect((await h.post(h.updates.text(OWNER, "/start"), null)).statusCode).toBe(401);
    expect((await h.post(h.updates.text(OWNER, "/start"), "")).statusCode).toBe(401);
    expect(h.api.callsOf("sendMessage")).toEqual([]);
    // Not even the bot's own info was fetched: a forged call on a cold start causes no work.
    expect(await h.botStateItems()).toEqual(before);
    expect(h.api.calls).toEqual([]);
  });

  it("processes an update delivered twice only once", async () => {
    const update = h.updates.text(OWNER, "/start");
    expect((await h.post(update)).statusCode).toBe(200);
    expect((await h.post(update)).statusCode).toBe(200);
    expect(h.api.callsOf("sendMessage")).toHaveLength(1);
    const marker = (await h.botStateItems()).find(
      (i) => i.pk === `UPDATE#${BOT_TOKEN.split(":")[0]}#${update.update_id}`,
    );
    expect(marker).toMatchObject({ state: "COMPLETED" });
  });

  it("retries an update whose first delivery crashed, instead of skipping it forever", async () => {
    const update = h.updates.text(OWNER, "/start");
    // Telegram is unreachable for the first delivery: the failure cannot even be told, so it escapes.
    h.api.failNext("sendMessage", 502, "Bad Gateway");
    h.api.failNext("sendMessage", 502, "Bad Gateway");
    expect((await h.post(update)).statusCode).toBe(503);
    expect((await h.post(update)).statusCode).toBe(200);
    expect(h.api.lastMessage(OWNER.id).text).toContain("Session Keeper");
  });

  it("drops a body that is not an update with 200 (Telegram would re-send it forever)", async () => {
    expect((await h.post("not json" as never)).statusCode).toBe(200);
    expect(h.api.callsOf("sendMessage")).toEqual([]);
  });
});

describe("strangers", () => {
  it("get one refusal with their own id, at most once an hour, and write nothing else", async () => {
    const before = new Set((await h.botStateItems()).map((i) => `${String(i.pk)}/${String(i.sk)}`));
    const writtenSince = async () =>
      (await h.botStateItems()).filter(
        (i) => i.pk !== "BOTINFO" && !before.has(`${String(i.pk)}/${String(i.sk)}`),
      );
    await h.say(STRANGER, "/start");
    const refusal = h.api.lastMessage(STRANGER.id).text;
    expect(refusal).toContain("Bu bot yopiq");
    expect(refusal).toContain("<code>4242</code>");
    expect((await writtenSince()).map((i) => i.pk)).toEqual(["STRANGER#4242"]);

    await h.say(STRANGER, "hello?");
    await h.post(h.updates.press(STRANGER, "m"));
    expect(h.api.callsOf("sendMessage")).toHaveLength(1);
    expect(await writtenSince()).toHaveLength(1);

    h.advance(3601);
    await h.say(STRANGER, "/start");
    expect(h.api.callsOf("sendMessage")).toHaveLength(2);
  });
});

describe("buttons", () => {
  it("an unknown button says it is out of date and shows the main menu", async () => {
    await h.say(OWNER, "/start");
    await h.post(h.updates.press(OWNER, "zz:unknown", h.api.lastMessage(OWNER.id).messageId));
    expect(h.api.toasts()).toContain("This button is out of date. Here is the main menu.");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Fleet:");
  });

  it("a button drawn before the session changed shows the current card instead of acting", async () => {
    const sessions = h.store.sessions({ now: h.now });
    await h.seedSession(PHONE, { userId: 9 });
    await h.say(OWNER, "/start");
    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, "🟢 active");
    await h.press(OWNER, `🟢 ${PHONE}`);
    // Someone else pauses it meanwhile (the CLI, another admin).
    await sessions.pause(PHONE);
    await h.press(OWNER, "⏸ Pause");
    expect(h.api.toasts().at(-1)).toContain("This session changed meanwhile");
    const card = h.api.lastMessage(OWNER.id);
    expect(card.text).toContain("Status: ⏸ paused");
    expect(card.buttons.map((b) => b.text)).toContain("▶️ Resume");
    expect((await sessions.get(PHONE))?.version).toBe(2);
  });

  it("a button of a session deleted meanwhile says it is gone", async () => {
    const sessions = h.store.sessions({ now: h.now });
    await h.seedSession(PHONE, { userId: 9 });
    await h.say(OWNER, "/start");
    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, "🟢 active");
    await h.press(OWNER, `🟢 ${PHONE}`);
    await h.press(OWNER, "🗑️ Delete");
    await sessions.delete(PHONE);
    await h.press(OWNER, "🗑️ Yes, delete");
    expect(h.api.toasts().at(-1)).toContain("This session no longer exists");
    expect(h.api.lastMessage(OWNER.id).text).toContain("This session no longer exists");
  });
});

describe("➕ Add Session refusals, on the real userbot layer", () => {
  const PASSWORD = "pw-right";
  beforeEach(() => {
    h.telegram.addAccount({ phone: PHONE, userId: 77, username: "fleet77", password: PASSWORD, hint: "pet" });
  });

  /** Which Telegram methods the login called, in order. */
  const telegramCalls = () => h.telegramRequests.map((r) => r.className);
  const codeSent = () => h.telegram.codes.get(PHONE)!.split("").join(" ");
  const deleted = () => h.api.callsOf("deleteMessage").map((c) => c.payload.message_id);
  const loginFlow = async () => (await h.botStateItems()).find((i) => i.pk === `LOGIN#${PHONE}`);
  const pendingInput = async () => (await h.botStateItems()).find((i) => String(i.pk).startsWith("INPUT#"));

  async function toCodeStep(): Promise<void> {
    await h.say(OWNER, "/add");
    await h.say(OWNER, PHONE);
    expect(h.api.lastMessage(OWNER.id).text).toContain(`Telegram sent a login code to ${PHONE}`);
  }

  it("a malformed phone is refused with an example before Telegram is asked; the bot keeps waiting for one", async () => {
    await h.say(OWNER, "/add");
    await h.say(OWNER, "call me maybe");
    expect(h.api.lastMessage(OWNER.id).text).toContain("That is not a valid phone number");
    expect(h.clientsBuilt()).toBe(0);
    expect(await loginFlow()).toBeUndefined();
    await h.say(OWNER, PHONE);
    expect(telegramCalls()).toEqual(["auth.SendCode"]);
    expect(h.api.lastMessage(OWNER.id).text).toContain(`Telegram sent a login code to ${PHONE}`);
  });

  it.each([
    [
      "a number Telegram does not accept",
      { error: [400, "PHONE_NUMBER_INVALID"] },
      "Telegram does not accept this phone number",
    ],
    [
      "a flood wait",
      { floodWaitSeconds: 600 },
      "Telegram asks to wait 10 min before trying this number again",
    ],
    ["no connection to Telegram", "connect-fails", "Telegram could not be reached"],
  ] as const)("%s at auth.SendCode gets its own message and stores nothing", async (_, script, text) => {
    if (script === "connect-fails") h.telegram.onConnect("*", "fail");
    else h.telegram.failOn(PHONE, "auth.SendCode", script);
    await h.say(OWNER, "/add");
    await h.say(OWNER, PHONE);
    expect(h.api.lastMessage(OWNER.id).text).toContain(text);
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
    expect(await loginFlow()).toBeUndefined();
    expect(h.telegram.stats.destroyed).toBe(h.clientsBuilt());
  });

  it("a banned account is refused by Telegram itself (PHONE_NUMBER_BANNED), and the login ends", async () => {
    h.telegram.addAccount({ phone: PHONE, userId: 77, banned: true });
    await h.say(OWNER, "/add");
    await h.say(OWNER, PHONE);
    expect(h.api.lastMessage(OWNER.id).text).toContain(
      "Telegram has banned this phone number. It cannot be added.",
    );
    expect(await pendingInput()).toBeUndefined();
    await h.say(OWNER, "1 2 3 4 5");
    expect(h.api.lastMessage(OWNER.id).text).toContain("I did not understand that");
    expect(telegramCalls()).toEqual(["auth.SendCode"]);
  });

  it("an API id Telegram refuses (API_ID_INVALID) tells the deployer to fix it", async () => {
    const d = await createBotHarness({ owner: OWNER, apiId: API_ID + 1 });
    d.telegram.addAccount({ phone: PHONE, userId: 77 });
    await d.say(OWNER, "/add");
    await d.say(OWNER, PHONE);
    expect(d.api.lastMessage(OWNER.id).text).toContain("Telegram refused our API_ID/API_HASH");
    expect(d.telegram.codes.size).toBe(0);
    expect(await d.store.sessions().get(PHONE)).toBeUndefined();
  });

  it("a number with no Telegram account is told so after the code (sign-up is not ours to do)", async () => {
    const unknown = "+998935550199" as Phone;
    await h.say(OWNER, "/add");
    await h.say(OWNER, unknown);
    await h.say(OWNER, h.telegram.codes.get(unknown)!.split("").join(" "));
    expect(h.api.lastMessage(OWNER.id).text).toContain("This number has no Telegram account");
    expect(await h.store.sessions().get(unknown)).toBeUndefined();
  });

  it("a wrong code (PHONE_CODE_INVALID) says how many attempts are left; the message is deleted; nothing is stored", async () => {
    await toCodeStep();
    const wrong = h.updates.text(OWNER, "1 1 1 1 1");
    await h.post(wrong);
    expect(deleted()).toContain(wrong.message!.message_id);
    expect(h.api.lastMessage(OWNER.id).text).toContain("❌ Wrong code. 2 attempts left.");
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
    expect(await loginFlow()).toMatchObject({ attemptsLeft: 2, step: "code" });
    // The right code still works afterwards, on the same key.
    await h.say(OWNER, codeSent());
    expect(h.api.lastMessage(OWNER.id).text).toContain("Send its 2FA password (hint: pet)");
    expect(telegramCalls()).toEqual(["auth.SendCode", "auth.SignIn", "auth.SignIn", "account.GetPassword"]);
  });

  it("too short a code is refused without spending an attempt or asking Telegram", async () => {
    await toCodeStep();
    await h.say(OWNER, "1 2");
    expect(h.api.lastMessage(OWNER.id).text).toContain("❌ Wrong code. 3 attempts left.");
    expect(telegramCalls()).toEqual(["auth.SendCode"]);
  });

  it("an expired code (PHONE_CODE_EXPIRED) says to start again, and the flow is gone", async () => {
    await toCodeStep();
    h.telegram.failOn(PHONE, "auth.SignIn", { error: [400, "PHONE_CODE_EXPIRED"] });
    const late = h.updates.text(OWNER, codeSent());
    await h.post(late);
    expect(deleted()).toContain(late.message!.message_id);
    expect(h.api.lastMessage(OWNER.id).text).toContain("⌛ The code expired");
    expect(await loginFlow()).toBeUndefined();
    expect(await pendingInput()).toBeUndefined();
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
  });

  it("a flood wait at the code step shows the wait and ends the step", async () => {
    await toCodeStep();
    h.telegram.failOn(PHONE, "auth.SignIn", { floodWaitSeconds: 3600 });
    await h.say(OWNER, codeSent());
    expect(h.api.lastMessage(OWNER.id).text).toContain("Telegram asks to wait 60 min");
    expect(await pendingInput()).toBeUndefined();
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
  });

  it("a wrong password (PASSWORD_HASH_INVALID, a real SRP check) says so; the message is deleted; nothing is stored", async () => {
    await toCodeStep();
    await h.say(OWNER, codeSent());
    const wrong = h.updates.text(OWNER, "pw-wrong");
    await h.post(wrong);
    expect(deleted()).toContain(wrong.message!.message_id);
    expect(h.api.lastMessage(OWNER.id).text).toContain("❌ Wrong password (hint: pet). 2 attempts left.");
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
    // The right one then logs in.
    await h.say(OWNER, PASSWORD);
    expect(h.api.lastMessage(OWNER.id).text).toContain("✅ Logged in: the session is active.");
    expect(await h.store.sessions().get(PHONE)).toMatchObject({
      status: "active",
      account: { userId: "77" },
    });
  });

  it("a flow left alone expires with the clock and says so; the late code is deleted and never reaches Telegram", async () => {
    await toCodeStep();
    h.advance(601);
    const late = h.updates.text(OWNER, codeSent());
    await h.post(late);
    expect(deleted()).toContain(late.message!.message_id);
    expect(h.api.lastMessage(OWNER.id).text).toContain("flow expired");
    expect(telegramCalls()).toEqual(["auth.SendCode"]);
    expect(await loginFlow()).toBeUndefined();
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
    // And the next text is no longer taken as a code.
    await h.say(OWNER, "hello");
    expect(h.api.lastMessage(OWNER.id).text).toContain("I did not understand that");
  });

  it("a command during a step is a command, not an answer; the step keeps waiting", async () => {
    await toCodeStep();
    await h.say(OWNER, "/start");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Fleet:");
    expect(telegramCalls()).toEqual(["auth.SendCode"]);
    await h.say(OWNER, codeSent());
    expect(h.api.lastMessage(OWNER.id).text).toContain("2FA password");
  });

  it("/cancel mid-flow removes the login; a password sent afterwards is deleted unread and never reaches Telegram", async () => {
    await toCodeStep();
    await h.say(OWNER, codeSent());
    expect(await loginFlow()).toMatchObject({ step: "password" });
    await h.say(OWNER, "/cancel");
    expect(h.api.lastMessage(OWNER.id).text).toBe("Cancelled. Nothing was stored.");
    expect(await loginFlow()).toBeUndefined();
    // The admin was already typing the password: it must not stay in the chat.
    const late = h.updates.text(OWNER, PASSWORD);
    await h.post(late);
    expect(deleted()).toContain(late.message!.message_id);
    expect(h.api.lastMessage(OWNER.id).text).toContain(
      "That login was cancelled, so your message was deleted",
    );
    expect(await pendingInput()).toBeUndefined();
    expect(telegramCalls()).not.toContain("auth.CheckPassword");
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
    await h.say(OWNER, "/cancel");
    expect(h.api.lastMessage(OWNER.id).text).toBe("There is nothing to cancel.");
  });

  it("a login cancelled elsewhere (the CLI) meanwhile: the bot's next code is refused with a notice", async () => {
    await toCodeStep();
    // What `sessions login --cancel` does: the flow row goes, the bot still waits for a code.
    await h.store.doc.send(
      new DeleteCommand({ TableName: h.store.botStateTable, Key: { pk: `LOGIN#${PHONE}`, sk: "FLOW" } }),
    );
    const code = h.updates.text(OWNER, codeSent());
    await h.post(code);
    expect(deleted()).toContain(code.message!.message_id);
    expect(h.api.lastMessage(OWNER.id).text).toContain("This login is no longer in progress");
    expect(h.telegramRequests.filter((r) => r instanceof Api.auth.SignIn)).toEqual([]);
    expect(await pendingInput()).toBeUndefined();
  });
});
