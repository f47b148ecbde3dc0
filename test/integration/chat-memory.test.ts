/** The bot's short-lived state on DynamoDB Local: processed-once claims, stranger marks, pending input. */
import { describe, expect, it } from "vitest";
import { ChatMemory, UPDATE_LOCK_SECONDS } from "../../lib/bot-state/chat-memory";
import type { Phone } from "../../lib/sessions/phone";
import { createTestStore } from "../support/dynamo";

async function stateWithClock() {
  const store = await createTestStore();
  let t = Date.parse("2026-11-27T10:00:00Z");
  const state = new ChatMemory(store.doc, store.botStateTable, () => new Date(t));
  return { state, advance: (s: number) => (t += s * 1000) };
}

describe("processed-once claims", () => {
  it("a finished update is done; one in progress is busy; a crashed one is taken over after its lock", async () => {
    const { state, advance } = await stateWithClock();
    const u = (updateId: number, botId = 7000000001) => ({ botId, updateId });
    expect(await state.claimUpdate(u(1))).toBe("claimed");
    expect(await state.claimUpdate(u(1))).toBe("busy");
    // The invocation died (Lambda timeout) without releasing: the retry after the lock runs it again.
    advance(UPDATE_LOCK_SECONDS + 1);
    expect(await state.claimUpdate(u(1))).toBe("claimed");
    await state.completeUpdate(u(1));
    advance(3600);
    expect(await state.claimUpdate(u(1))).toBe("done");
    expect(await state.claimUpdate(u(2))).toBe("claimed");
    await state.releaseUpdate(u(2));
    expect(await state.claimUpdate(u(2))).toBe("claimed");
  });

  it("update ids are per bot: another bot's update 1 on the same table is not this bot's update 1", async () => {
    const { state } = await stateWithClock();
    await state.claimUpdate({ botId: 7000000001, updateId: 1 });
    await state.completeUpdate({ botId: 7000000001, updateId: 1 });
    expect(await state.claimUpdate({ botId: 7000000002, updateId: 1 })).toBe("claimed");
  });
});

describe("pending input", () => {
  it("waits until its time, then reads as expired (DynamoDB's TTL may lag by a day)", async () => {
    const { state, advance } = await stateWithClock();
    expect(await state.getPending("1")).toEqual({ state: "none" });
    await state.setPending("1", { kind: "code", phone: "+998935550101" as Phone });
    expect(await state.getPending("1")).toMatchObject({ state: "waiting", input: { kind: "code" } });
    advance(11 * 60);
    expect(await state.getPending("1")).toMatchObject({ state: "expired" });
    await state.clearPending("1");
    expect(await state.getPending("1")).toEqual({ state: "none" });
  });
});
