/**
 * A fleet of 2,000 sessions: the list pages through all of them, each exactly once, and opening a page reads one
 * page of items from the index (never the table), measured on the wire between the handler and DynamoDB Local.
 */
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { PAGE_SIZE } from "../../lib/bot/features/sessions";
import type { Phone } from "../../lib/sessions/phone";
import { createBotHarness, type BotHarness } from "../support/bot-harness";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" };
const FLEET = 2000;

let h: BotHarness;
beforeAll(async () => {
  h = await createBotHarness({ owner: OWNER });
  // Written in batches straight to the table: 2,000 logins would test the fake, not the list.
  const items = Array.from({ length: FLEET }, (_, i) => {
    const at = new Date(Date.parse("2026-01-01T00:00:00Z") + i * 60_000).toISOString();
    return {
      phone: `+99890${String(10_000_000 + i).slice(1)}`,
      status: i % 10 === 0 ? "error" : "active",
      isPaused: i % 10 === 0,
      createdAt: at,
      updatedAt: at,
      version: 1,
      consecutiveFailures: 0,
      sessionCiphertext: "skenc1.x",
    };
  });
  for (let i = 0; i < items.length; i += 25) {
    await h.store.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [h.store.sessionsTable]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
        },
      }),
    );
  }
  // Rows loaded behind the repository's back: the fleet counter learns them from a recount (`sessions counts --repair`).
  await h.store.sessions().recountFleet({ repair: true });
}, 120_000);

describe("📋 Sessions with 2,000 sessions", () => {
  it("shows the counts, and pages through every active session once, newest change first", async () => {
    await h.say(OWNER, "/start");
    expect(h.api.lastMessage(OWNER.id).text).toContain("🟢 1800 active · ⏸ 0 paused · 🔴 200 error");
    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, "🟢 active (1800)");

    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      const page = h.api.lastMessage(OWNER.id);
      const phones = page.buttons.filter((b) => b.data.startsWith("o:")).map((b) => b.data.slice(2));
      // A fleet that is an exact multiple of the page size ends with a short "that was all" page.
      if (phones.length === 0) {
        expect(page.text).toContain("That was the last page.");
        break;
      }
      pages++;
      expect(page.text).toContain(`page ${pages}`);
      expect(phones.length).toBeLessThanOrEqual(PAGE_SIZE);
      seen.push(...phones);
      if (!page.buttons.some((b) => b.text === "Next ➡️")) break;
      h.dynamo.length = 0;
      await h.press(OWNER, "Next ➡️");
      // One page read from the index, never a scan, whatever the fleet's size.
      const sessionReads = h.dynamo.filter((r) => r.table === h.store.sessionsTable);
      expect(sessionReads.map((r) => `${r.command} ${r.index ?? ""}`)).toEqual(["QueryCommand byStatus"]);
      expect(sessionReads[0]!.itemsRead).toBeLessThanOrEqual(PAGE_SIZE);
      expect(h.dynamo.some((r) => r.command === "ScanCommand")).toBe(false);
    }
    expect(pages).toBe(1800 / PAGE_SIZE);
    expect(new Set(seen).size).toBe(1800);
    // Newest change first: the first button is the last one written.
    expect(seen[0]).toBe("+998900001999");
  }, 180_000);

  it("goes back a page; a page starts where its button says, a day later too; an old stored page that expired is out of date", async () => {
    await h.say(OWNER, "/start");
    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, "🔴 error (200)");
    const sessionsShown = () =>
      h.api
        .lastMessage(OWNER.id)
        .buttons.filter((b) => b.data.startsWith("o:"))
        .map((b) => b.data);
    const first = sessionsShown();
    await h.press(OWNER, "Next ➡️");
    await h.press(OWNER, "Next ➡️");
    const third = sessionsShown();
    expect(h.api.lastMessage(OWNER.id).text).toContain("page 3");
    await h.press(OWNER, "⬅️ Previous");
    expect(h.api.lastMessage(OWNER.id).text).toContain("page 2");
    await h.press(OWNER, "⬅️ Previous");
    expect(sessionsShown()).toEqual(first);
    expect(third).not.toEqual(first);

    // Where a page starts is in its button: nothing kept in the table, so nothing expires.
    await h.press(OWNER, "Next ➡️");
    h.advance(25 * 3600);
    await h.press(OWNER, "Next ➡️");
    expect(h.api.lastMessage(OWNER.id).text).toContain("page 3");
    expect(sessionsShown()).toEqual(third);
    expect((await h.botStateItems()).filter((i) => String(i.pk).startsWith("PAGE#"))).toEqual([]);

    // A page button drawn before that (its cursor kept in the table for a day) whose page is gone: out of date.
    const last = h.api.lastMessage(OWNER.id);
    await h.post(h.updates.press(OWNER, "p:AbCdEf12", last.messageId));
    expect(h.api.toasts().at(-1)).toBe("This list is out of date; pick the status again.");
  });

  it("Next after a session on the page changed goes on from where the page ended: none shown twice, none skipped", async () => {
    await h.say(OWNER, "/start");
    await h.press(OWNER, "📋 Sessions");
    await h.press(OWNER, /^🟢 active/);
    const sessionsShown = () =>
      h.api
        .lastMessage(OWNER.id)
        .buttons.filter((b) => b.data.startsWith("o:"))
        .map((b) => b.data.slice(2));
    const first = sessionsShown();
    // The page's last session is paused meanwhile: it leaves the active list, but the page after it is still next.
    const gone = await h.store.sessions().require(first.at(-1) as Phone);
    await h.store.sessions().pause(gone.phone, gone.version);
    await h.press(OWNER, "Next ➡️");
    const second = sessionsShown();
    expect(h.api.lastMessage(OWNER.id).text).toContain("page 2");
    expect(second).toHaveLength(PAGE_SIZE);
    expect(second.filter((p) => first.includes(p))).toEqual([]);
    // Newest change first (row i changed at minute i; every tenth is an error): page 2 starts right below it.
    let below = Number(first.at(-1)!.slice(-7)) - 1;
    if (below % 10 === 0) below--;
    expect(second[0]).toBe(`+99890${String(below).padStart(7, "0")}`);
  });
});
