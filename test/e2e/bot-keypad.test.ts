/**
 * ➕ Add Session's code keypad, through the real webhook handler and the real userbot layer (GramJS's client with
 * only its network replaced, the login flow on DynamoDB Local): the code is entered by button presses alone, the
 * keypad's message shows dots, and the code appears in no message the bot sends or edits, and in no log line.
 */
import { GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { createHandler } from "../../functions/admin-bot";
import type { Phone } from "../../lib/sessions/phone";
import { AdminRepository } from "../../lib/bot-state/admins";
import { apiGatewayEvent, BOT_TOKEN, WEBHOOK_SECRET } from "../support/bot-harness";
import { FakeBotApi, Updates } from "../support/bot-api";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { harness, type Harness } from "../support/fake-telegram-harness";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" };
/** A phone whose digits do not contain the code, so a search for the code finds only a leak. */
const PHONE = "+998935550202" as Phone;
const CODE = "40917";

let store: TestStore;
let h: Harness;
let api: FakeBotApi;
let updates: Updates;
let post: (update: ReturnType<Updates["text"]>) => Promise<unknown>;

beforeEach(async () => {
  store = await createTestStore();
  h = harness(store, { logLevel: "DEBUG" });
  h.fake.addAccount({ phone: PHONE, userId: 4242, username: "keypad_acc", firstName: "Keypad" });
  h.fake.nextCode = CODE;
  api = new FakeBotApi();
  updates = new Updates();
  await new AdminRepository(store.doc, store.botStateTable).add({
    userId: String(OWNER.id),
    role: "owner",
    addedBy: "cli",
  });
  const handler = createHandler({
    env: { ...store.env, BOT_TOKEN, WEBHOOK_SECRET, LOG_LEVEL: "DEBUG" },
    userbots: () => Promise.resolve(h.services),
    configureApi: (a) => a.config.use(api.transformer),
  });
  post = (update) => handler(apiGatewayEvent(update, WEBHOOK_SECRET));
});

/** Presses the button labelled exactly `label` on the bot's last message. */
async function press(label: string): Promise<void> {
  const message = api.lastMessage(OWNER.id);
  const button = message.buttons.find((b) => b.text === label);
  if (!button) throw new Error(`No button ${label}: ${message.buttons.map((b) => b.text).join(" | ")}`);
  await post(updates.press(OWNER, button.data, message.messageId));
}

/** Every text the bot sent or edited into the chat, and every toast. */
function botTexts(): string[] {
  return api.calls.flatMap((c) =>
    ["sendMessage", "editMessageText", "answerCallbackQuery"].includes(c.method) &&
    typeof c.payload.text === "string"
      ? [c.payload.text]
      : [],
  );
}

describe("the code keypad of ➕ Add Session", () => {
  it("enters the code by presses alone: dots only, the login completes, the code in no message and no log", async () => {
    const { output } = await captureOutput(async () => {
      await post(updates.text(OWNER, "/add"));
      await post(updates.text(OWNER, PHONE));
      const prompt = api.lastMessage(OWNER.id);
      expect(prompt.text).toContain(`Telegram sent a login code to ${PHONE}`);
      expect(prompt.text).toContain("Tap the code on the keypad below");
      expect(prompt.text).toContain("🔢 Code: ○○○○○");
      // The typed fallback asks for spaces and warns off dashes; it never suggests them.
      expect(prompt.text).toContain("<b>with spaces between the digits</b>");
      expect(prompt.text).not.toMatch(/\d-\d/);
      expect(prompt.buttons.map((b) => b.text)).toEqual([
        ..."123456789".split(""),
        "⌫",
        "0",
        "✅",
        "✖️ Cancel",
      ]);

      // A slip, erased: 4, 0, 8, ⌫.
      for (const d of ["4", "0", "8"]) await press(d);
      expect(api.lastMessage(OWNER.id).text).toBe(
        `🔢 Login code for ${PHONE}: ●●●○○\nTap the digits; ⌫ erases the last one, ✅ sends the code.`,
      );
      await press("⌫");
      expect(api.lastMessage(OWNER.id).text).toContain("●●○○○");
      // ✅ before the code is complete: told so, nothing sent to Telegram.
      await press("✅");
      expect(api.toasts()).toContain("Enter all 5 digits first.");
      expect(h.fake.calls.map((c) => c.request)).not.toContain("auth.SignIn");
      // While typing, the digits wait in the bot state, not in any message, and only encrypted: the raw item
      // (what a backup or a console read holds) has no digits, only a ciphertext bound to this admin's step.
      const waiting = (
        await store.doc.send(
          new GetCommand({
            TableName: store.botStateTable,
            Key: { pk: `INPUT#${OWNER.id}`, sk: "input" },
          }),
        )
      ).Item as { input: Record<string, unknown>; digitsCiphertext?: string } | undefined;
      // The step only points at the login: its step, code length and expiry are the flow's alone.
      expect(waiting?.input).toEqual({ kind: "login", phone: PHONE, flowId: expect.any(String) });
      expect(waiting).not.toHaveProperty("until");
      expect(waiting?.digitsCiphertext).toMatch(/^skenc2\.local\./);
      const { digitsCiphertext, ...plain } = waiting!;
      expect(JSON.stringify(plain)).not.toMatch(/"40"|"4"|\b40\b/);
      expect(
        await store.cipher.decrypt(digitsCiphertext!, { purpose: "login", id: `keypad:${OWNER.id}` }),
      ).toBe("40");

      for (const d of ["9", "1", "7"]) await press(d);
      expect(api.lastMessage(OWNER.id).text).toContain("●●●●●");
      await press("✅");
    });

    // The keypad's message became the new session's card.
    const card = api.lastMessage(OWNER.id).text;
    expect(card).toContain("✅ Logged in: the session is active.");
    expect(card).toContain("@keypad_acc");
    expect(await store.sessions().get(PHONE)).toMatchObject({ status: "active", hasSecret: true });
    // Only presses carried the code: the admin sent no message after the phone, so nothing had to be deleted.
    expect(api.callsOf("deleteMessage")).toEqual([]);
    // The code is in no text the bot sent or edited, in no toast, and in no log line.
    expect(botTexts().length).toBeGreaterThan(8);
    for (const text of botTexts()) expect(text).not.toContain(CODE);
    expect(output).toContain('"message":"Session logged in"');
    expect(output).not.toContain(CODE);
    expect(output).not.toMatch(/4\D{0,3}0\D{0,3}9\D{0,3}1\D{0,3}7/);
    // The step is over: no digits are left behind.
    const items = await store.doc.send(new ScanCommand({ TableName: store.botStateTable }));
    expect((items.Items ?? []).some((i) => String(i.pk).startsWith("INPUT#"))).toBe(false);
  });

  it("a wrong code on the keypad costs an attempt and offers an empty keypad again; the typed code still works", async () => {
    await post(updates.text(OWNER, "/add"));
    await post(updates.text(OWNER, PHONE));
    for (const d of "11111") await press(d);
    await press("✅");
    const retry = api.lastMessage(OWNER.id);
    expect(retry.text).toContain("❌ Wrong code. 2 attempts left.");
    expect(retry.text).toContain("🔢 Code: ○○○○○");
    expect(retry.buttons.map((b) => b.text)).toContain("✅");

    // The fallback: typed with spaces, deleted at once.
    const typed = updates.text(OWNER, "4 0 9 1 7");
    await post(typed);
    expect(api.callsOf("deleteMessage").map((c) => c.payload.message_id)).toContain(
      typed.message!.message_id,
    );
    expect(api.lastMessage(OWNER.id).text).toContain("✅ Logged in");
  });

  it("✖️ Cancel clears the digits with the step; a press after that starts nothing", async () => {
    await post(updates.text(OWNER, "/add"));
    await post(updates.text(OWNER, PHONE));
    const keypad = api.lastMessage(OWNER.id);
    await press("4");
    await press("✖️ Cancel");
    expect(api.lastMessage(OWNER.id).text).toBe("Cancelled. Nothing was stored.");
    const items = await store.doc.send(new ScanCommand({ TableName: store.botStateTable }));
    // The admin's step is kept only as "cancelled" (so a code typed after it is still deleted), without digits.
    const inputs = (items.Items ?? []).filter((i) => String(i.pk).startsWith("INPUT#"));
    expect(inputs.map((i) => (i.input as { digits?: string }).digits)).toEqual([undefined]);
    expect(inputs.map((i) => i.digitsCiphertext)).toEqual([undefined]);
    expect(inputs.map((i) => (i.input as { cancelled?: boolean }).cancelled)).toEqual([true]);
    expect((items.Items ?? []).some((i) => String(i.pk).startsWith("LOGIN#"))).toBe(false);

    const zero = keypad.buttons.find((b) => b.text === "0")!;
    await post(updates.press(OWNER, zero.data, keypad.messageId));
    expect(api.chats.get(OWNER.id)?.get(keypad.messageId)?.text).toBe(
      "This login is no longer in progress. Press ➕ Add Session to start again.",
    );
    expect(await store.sessions().get(PHONE)).toBeUndefined();
  });

  it("with 2FA: ✅ takes the keypad away, an old keypad press is refused, and the password step goes on", async () => {
    const phone = "+998935550303" as Phone;
    h.fake.addAccount({ phone, userId: 4343, username: "keypad_2fa", password: "blue heron", hint: "bird" });
    await post(updates.text(OWNER, "/add"));
    await post(updates.text(OWNER, phone));
    const keypad = api.lastMessage(OWNER.id);
    const buttons = [...keypad.buttons];
    for (const d of CODE) await press(d);
    await press("✅");

    const sent = api.chats.get(OWNER.id)!.get(keypad.messageId)!;
    expect(sent.text).toBe(`🔢 Login code for ${phone}: ●●●●●\nChecking it with Telegram…`);
    expect(sent.buttons).toEqual([]);
    expect(api.lastMessage(OWNER.id).text).toContain("Send its 2FA password (hint: bird)");

    const seven = buttons.find((b) => b.text === "7")!;
    await post(updates.press(OWNER, seven.data, keypad.messageId));
    expect(api.toasts()).toContain("This keypad is no longer in use: the login waits for the 2FA password.");

    await post(updates.text(OWNER, "blue heron"));
    expect(api.lastMessage(OWNER.id).text).toContain("✅ Logged in: the session is active.");
    for (const text of botTexts()) expect(text).not.toContain(CODE);
  });
});
