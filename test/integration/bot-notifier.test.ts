/** The notifier other parts (the health check) use: one message per admin, in the admin's language. */
import { Api } from "grammy";
import { describe, expect, it } from "vitest";
import { setBotCommands } from "../../lib/bot/commands";
import { createNotifier, NOTIFIER_RETRY, withNotifierRetries } from "../../lib/bot/notifier";
import { AdminRepository } from "../../lib/bot-state/admins";
import { FakeBotApi } from "../support/bot-api";
import { BOT_TOKEN } from "../support/bot-harness";
import { createTestStore } from "../support/dynamo";

describe("createNotifier", () => {
  it("sends every admin one message in their language, and one blocked admin does not stop the rest", async () => {
    const store = await createTestStore();
    const admins = new AdminRepository(store.doc, store.botStateTable);
    await admins.add({ userId: "1", role: "owner", addedBy: "cli" });
    await admins.add({ userId: "2", addedBy: "cli" });
    await admins.add({ userId: "3", addedBy: "cli" });
    await admins.setLanguage("1", "en");
    await admins.setLanguage("3", "ru");
    const fake = new FakeBotApi();
    const api = new Api(BOT_TOKEN);
    api.config.use(fake.transformer);
    fake.failNext("sendMessage", 403, "Forbidden: bot was blocked by the user");

    const result = await createNotifier(api, admins).notifyAdmins({
      uz: "2 ta sessiya ishlamay qoldi",
      en: "2 sessions failed",
      ru: "2 сессии сломались",
    });

    const sent = fake.callsOf("sendMessage").map((c) => [c.payload.chat_id, c.payload.text]);
    expect(sent).toEqual([
      ["1", "2 sessions failed"],
      ["2", "2 ta sessiya ishlamay qoldi"],
      ["3", "2 сессии сломались"],
    ]);
    expect(result).toEqual({ sent: ["2", "3"], failed: ["1"] });
  });

  it("takes a function of the admin's locale texts", async () => {
    const store = await createTestStore();
    const admins = new AdminRepository(store.doc, store.botStateTable);
    await admins.add({ userId: "1", role: "owner", addedBy: "cli" });
    const fake = new FakeBotApi();
    const api = new Api(BOT_TOKEN);
    api.config.use(fake.transformer);
    await createNotifier(api, admins).notifyAdmins((t) => t.statusName.error);
    expect(fake.callsOf("sendMessage").map((c) => c.payload.text)).toEqual(["xato"]);
  });

  it("sends the health check's summary as one message per admin, capped and escaped", async () => {
    const store = await createTestStore();
    const admins = new AdminRepository(store.doc, store.botStateTable);
    await admins.add({ userId: "1", role: "owner", addedBy: "cli" });
    const fake = new FakeBotApi();
    const api = new Api(BOT_TOKEN);
    api.config.use(fake.transformer);
    const failed = Array.from({ length: 25 }, (_, i) => ({
      phone: `+9989000000${String(i).padStart(2, "0")}`,
      error: "AUTH_KEY_UNREGISTERED: <revoked>",
    }));
    await createNotifier(api, admins).notifyAdmins((t) => t.notify.sessionsFailed(failed));
    const [message] = fake.callsOf("sendMessage");
    expect(fake.callsOf("sendMessage")).toHaveLength(1);
    const text = String(message!.payload.text);
    expect(text).toContain("25 ta sessiya ishlamay qoldi");
    expect(text).toContain("<code>+998900000000</code>: AUTH_KEY_UNREGISTERED: &lt;revoked&gt;");
    expect(text).toContain("…va yana 5 ta");
    expect(text).not.toContain("+998900000024");
  });
});

describe("the notifier when Telegram says Too Many Requests (429)", () => {
  async function setup() {
    const store = await createTestStore();
    const admins = new AdminRepository(store.doc, store.botStateTable);
    await admins.add({ userId: "1", role: "owner", addedBy: "cli" });
    await admins.add({ userId: "2", addedBy: "cli" });
    const fake = new FakeBotApi();
    const api = new Api(BOT_TOKEN);
    api.config.use(fake.transformer);
    return { admins, fake, api: withNotifierRetries(api) };
  }

  it("waits the seconds Telegram asked and sends again: every admin gets the message", async () => {
    const { admins, fake, api } = await setup();
    fake.tooManyRequestsNext("sendMessage", 1);
    const started = Date.now();
    const result = await createNotifier(api, admins).notifyAdmins({ uz: "x", en: "x", ru: "x" });
    expect(result).toEqual({ sent: ["1", "2"], failed: [] });
    expect(fake.callsOf("sendMessage").map((c) => c.payload.chat_id)).toEqual(["1", "1", "2"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("does not sleep through a long wait: a 429 for an hour fails that admin at once, the others still get it", async () => {
    const { admins, fake, api } = await setup();
    fake.tooManyRequestsNext("sendMessage", 3600);
    const started = Date.now();
    const result = await createNotifier(api, admins).notifyAdmins({ uz: "x", en: "x", ru: "x" });
    expect(result).toEqual({ sent: ["2"], failed: ["1"] });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("gives up after a bounded number of retries", async () => {
    const { admins, fake, api } = await setup();
    for (let i = 0; i <= NOTIFIER_RETRY.maxRetryAttempts; i++) fake.tooManyRequestsNext("sendMessage", 1);
    const result = await createNotifier(api, admins).notifyAdmins({ uz: "x", en: "x", ru: "x" });
    expect(result).toEqual({ sent: ["2"], failed: ["1"] });
    expect(fake.callsOf("sendMessage").filter((c) => c.payload.chat_id === "1")).toHaveLength(
      NOTIFIER_RETRY.maxRetryAttempts + 1,
    );
  });
});

describe("setBotCommands", () => {
  it("sets the command menu for every language and a default", async () => {
    const fake = new FakeBotApi();
    const api = new Api(BOT_TOKEN);
    api.config.use(fake.transformer);
    await setBotCommands(api);
    const calls = fake.callsOf("setMyCommands");
    expect(calls.map((c) => c.payload.language_code)).toEqual([undefined, "uz", "en", "ru"]);
    expect(calls[3]!.payload.commands).toContainEqual({
      command: "add",
      description: "Добавить сессию (вход)",
    });
  });
});
