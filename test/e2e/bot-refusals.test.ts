/**
 * Every way in that must change nothing: forged or missing secret, strangers, duplicate deliveries, unknown and
 * stale buttons, a malformed phone, a wrong code or password, an expired flow. Each gets a clear answer (or none,
 * for what is not Telegram), and the tables show nothing was written.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { createBotHarness, type BotHarness } from "../support/bot-harness";

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
    const marker = (await h.botStateItems()).find((i) => i.pk === `UPDATE#${update.update_id}`);
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
    await sessions.create({ phone: PHONE, sessionString: "s", account: { userId: "9" } });
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
    await sessions.create({ phone: PHONE, sessionString: "s", account: { userId: "9" } });
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

describe("➕ Add Session refusals", () => {
  beforeEach(() => {
    h.userbots.accounts.set(PHONE, { code: "52814", password: "pw-right", userId: "77" });
  });

  async function toCodeStep(): Promise<void> {
    await h.say(OWNER, "/add");
    await h.say(OWNER, PHONE);
  }

  it("a malformed phone is refused with an example, and the bot keeps waiting for one", async () => {
    await h.say(OWNER, "/add");
    await h.say(OWNER, "call me maybe");
    expect(h.api.lastMessage(OWNER.id).text).toContain("That is not a valid phone number");
    expect(h.userbots.calls).toEqual([]);
    await h.say(OWNER, PHONE);
    expect(h.userbots.calls).toEqual([`startLogin ${PHONE}`]);
  });

  it("a wrong code says how many attempts are left; the message is deleted; nothing is stored", async () => {
    await toCodeStep();
    const wrong = h.updates.text(OWNER, "1 1 1 1 1");
    await h.post(wrong);
    expect(h.api.callsOf("deleteMessage").map((c) => c.payload.message_id)).toContain(
      wrong.message!.message_id,
    );
    expect(h.api.lastMessage(OWNER.id).text).toContain("❌ Wrong code. 2 attempt(s) left.");
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
    // The right code still works afterwards.
    await h.say(OWNER, "5 2 8 1 4");
    expect(h.api.lastMessage(OWNER.id).text).toContain("2FA password");
  });

  it("a wrong password says so; the message is deleted; nothing is stored", async () => {
    await toCodeStep();
    await h.say(OWNER, "5 2 8 1 4");
    const wrong = h.updates.text(OWNER, "pw-wrong");
    await h.post(wrong);
    expect(h.api.callsOf("deleteMessage").map((c) => c.payload.message_id)).toContain(
      wrong.message!.message_id,
    );
    expect(h.api.lastMessage(OWNER.id).text).toContain("❌ Wrong password (hint: pet). 2 attempt(s) left.");
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
  });

  it("a flow left alone expires and says so; the late code is deleted all the same", async () => {
    await toCodeStep();
    h.advance(301);
    const late = h.updates.text(OWNER, "5 2 8 1 4");
    await h.post(late);
    expect(h.api.callsOf("deleteMessage").map((c) => c.payload.message_id)).toContain(
      late.message!.message_id,
    );
    expect(h.api.lastMessage(OWNER.id).text).toContain("flow expired");
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
    // And the next text is no longer taken as a code.
    await h.say(OWNER, "hello");
    expect(h.api.lastMessage(OWNER.id).text).toContain("I did not understand that");
  });

  it("a command during a step is a command, not an answer; the step keeps waiting", async () => {
    await toCodeStep();
    await h.say(OWNER, "/start");
    expect(h.api.lastMessage(OWNER.id).text).toContain("Fleet:");
    expect(h.userbots.calls).toEqual([`startLogin ${PHONE}`]);
    await h.say(OWNER, "5 2 8 1 4");
    expect(h.api.lastMessage(OWNER.id).text).toContain("2FA password");
  });

  it("/cancel stops the login at any step", async () => {
    await toCodeStep();
    await h.say(OWNER, "/cancel");
    expect(h.api.lastMessage(OWNER.id).text).toBe("Cancelled. Nothing was stored.");
    expect(h.userbots.calls).toContain(`cancel ${PHONE}`);
    await h.say(OWNER, "/cancel");
    expect(h.api.lastMessage(OWNER.id).text).toBe("There is nothing to cancel.");
  });

  it.each([
    [{ kind: "phone-banned" }, "Telegram has banned this phone number"],
    [{ kind: "no-account" }, "This number has no Telegram account"],
    [{ kind: "flood-wait", seconds: 600 }, "wait 10 min"],
    [{ kind: "api-credentials-invalid" }, "refused our API_ID/API_HASH"],
    [{ kind: "unavailable", message: "timeout" }, "Telegram could not be reached (timeout)"],
    [{ kind: "invalid-phone" }, "Telegram does not accept this phone number"],
  ] as const)("startLogin answering %j gets its own message", async (outcome, text) => {
    h.userbots.accounts.set(PHONE, { code: "1", userId: "1", startOutcome: outcome });
    await toCodeStep();
    expect(h.api.lastMessage(OWNER.id).text).toContain(text);
    expect(await h.store.sessions().get(PHONE)).toBeUndefined();
  });
});
