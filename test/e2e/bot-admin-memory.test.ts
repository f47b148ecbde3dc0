/**
 * A warm container remembers the admins it has seen, so an update does not read the admin list: the processed-once
 * claim checks in the same transaction that the admin is still there with the same role and language. What an
 * operator notices: a warm update costs two DynamoDB calls (/start: the claim and its mark; a card three, its read
 * alongside the claim), and an admin removed or changed elsewhere (the CLI, another container) is treated as the
 * table says on their very next update.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions/phone";
import { createBotHarness, type BotHarness } from "../support/bot-harness";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" };
const ADMIN = { id: 2002, is_bot: false, first_name: "Ada", language_code: "en" };

let h: BotHarness;
beforeEach(async () => {
  h = await createBotHarness({ owner: OWNER });
  await h.admins.add({ userId: String(ADMIN.id), addedBy: String(OWNER.id) });
});

/** The DynamoDB calls the handler makes for `send`. */
async function callsFor(send: () => Promise<{ statusCode?: number }>): Promise<string[]> {
  const from = h.dynamo.length;
  expect((await send()).statusCode).toBe(200);
  return h.dynamo.slice(from).map((r) => r.command);
}

describe("admins a warm container remembers", () => {
  it("a warm /start makes two DynamoDB calls: the claim (with the admin's check) and its mark", async () => {
    await h.say(ADMIN, "/start"); // cold: reads the bot's info and the admin
    const calls = await callsFor(() => h.say(ADMIN, "/start"));
    expect(calls).toEqual(["TransactWriteItemsCommand", "UpdateItemCommand"]);
    expect(h.api.lastMessage(ADMIN.id).text).toContain("Fleet:");
  });

  it("an admin removed elsewhere is refused on their very next update, in a container that remembered them", async () => {
    await h.say(ADMIN, "/start");
    const menus = h.api.callsOf("sendMessage").length;
    await h.admins.remove(String(ADMIN.id)); // the CLI, or an owner's press served by another container
    await h.say(ADMIN, "/start");
    expect(h.api.lastMessage(ADMIN.id).text).toContain("This bot is private");
    expect(h.api.callsOf("sendMessage")).toHaveLength(menus + 1);
    // Nothing was claimed for them: the refusal mark is all a stranger's update writes.
    const items = await h.botStateItems();
    expect(items.filter((i) => String(i.pk).startsWith("STRANGER#"))).toHaveLength(1);
    // And it stays so (the container forgot them).
    await h.say(ADMIN, "/menu");
    expect(h.api.callsOf("sendMessage")).toHaveLength(menus + 1);
  });

  it("a card press reads the session alongside the claim: three calls, and an admin removed meanwhile sees no card", async () => {
    const PHONE = "+998935550707";
    await h.seedSession(PHONE as Phone, { username: "carded" });
    await h.say(ADMIN, "/start");
    await h.press(ADMIN, "📋 Sessions");
    await h.press(ADMIN, /^🟢 active/);
    const list = h.api.lastMessage(ADMIN.id);
    const card = list.buttons.find((b) => b.data === `o:${PHONE}`)!;
    const calls = await callsFor(() => h.post(h.updates.press(ADMIN, card.data, list.messageId)));
    expect(h.api.lastMessage(ADMIN.id).text).toContain(PHONE);
    expect([...calls].sort()).toEqual(["GetItemCommand", "TransactWriteItemsCommand", "UpdateItemCommand"]);
    expect(calls.at(-1)).toBe("UpdateItemCommand");

    // Removed elsewhere: the session was read alongside the claim, but the claim's check failed, so none of it shows.
    await h.admins.remove(String(ADMIN.id));
    const edits = h.api.callsOf("editMessageText").length;
    await h.post(h.updates.press(ADMIN, card.data, list.messageId));
    expect(h.api.callsOf("editMessageText")).toHaveLength(edits);
    expect(h.api.lastMessage(ADMIN.id).text).toContain("This bot is private");
    expect(h.api.lastMessage(ADMIN.id).text).not.toContain("carded");
  });

  it("a language changed elsewhere is used on the next update", async () => {
    await h.say(ADMIN, "/start");
    await h.admins.setLanguage(String(ADMIN.id), "ru");
    await h.say(ADMIN, "/start");
    expect(h.api.lastMessage(ADMIN.id).text).not.toContain("Fleet:");
    // Taken from the table once; remembered again and checked from then on.
    const calls = await callsFor(() => h.say(ADMIN, "/start"));
    expect(calls).toEqual(["TransactWriteItemsCommand", "UpdateItemCommand"]);
  });
});

describe("a keypad press of a login in progress", () => {
  it("a digit costs four DynamoDB calls: the claim, the step and its login read in one transactional get, the digits' write, the mark", async () => {
    const PHONE = "+998935550606";
    h.telegram.addAccount({ phone: PHONE, userId: 6161, username: "keypad_calls", firstName: "Calls" });
    await h.say(ADMIN, "/add");
    await h.say(ADMIN, PHONE);
    const keypad = h.api.lastMessage(ADMIN.id);
    const five = keypad.buttons.find((b) => b.text === "5")!;
    const calls = await callsFor(() => h.post(h.updates.press(ADMIN, five.data, keypad.messageId)));
    // The dots come from the login's own code length: the step read its flow, in the same call.
    expect(h.api.lastMessage(ADMIN.id).text).toContain("●○○○○");
    expect(calls).toEqual([
      "TransactWriteItemsCommand",
      "TransactGetItemsCommand",
      "UpdateItemCommand",
      "UpdateItemCommand",
    ]);
  });
});
