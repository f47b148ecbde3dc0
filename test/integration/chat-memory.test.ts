/** The bot's short-lived state on DynamoDB Local: processed-once claims, stranger marks, pending input. */
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { ChatMemory, UPDATE_LOCK_SECONDS } from "../../lib/bot-state/chat-memory";
import type { Phone } from "../../lib/sessions/phone";
import { createTestStore, type TestStore } from "../support/dynamo";

async function stateWithClock() {
  const store = await createTestStore();
  let t = Date.parse("2026-11-27T10:00:00Z");
  const state = new ChatMemory(store.doc, store.botStateTable, store.cipher, () => new Date(t));
  return { state, store, advance: (s: number) => (t += s * 1000) };
}

const PHONE = "+998935550101" as Phone;

async function rawInput(store: TestStore, adminId: string) {
  const out = await store.doc.send(
    new GetCommand({ TableName: store.botStateTable, Key: { pk: `INPUT#${adminId}`, sk: "input" } }),
  );
  return out.Item as Record<string, unknown> | undefined;
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

describe("the keypad's digits", () => {
  it('are stored only encrypted, bound to the admin\'s step; a read gives them back; "" removes them', async () => {
    const { state, store, advance } = await stateWithClock();
    await state.setPending("1", { kind: "code", phone: PHONE, length: 5 });
    let read = await state.getPending("1");
    if (read.state !== "waiting" || read.input.kind !== "code") throw new Error("not waiting for a code");
    expect(await state.setCodeDigits("1", read.input, "4091")).toBe(true);

    const raw = await rawInput(store, "1");
    expect(raw?.input).toEqual({ kind: "code", phone: PHONE, length: 5 });
    expect(JSON.stringify({ ...raw, digitsCiphertext: undefined })).not.toContain("4091");
    expect(String(raw?.digitsCiphertext)).toMatch(/^skenc2\./);
    expect(String(raw?.digitsCiphertext)).not.toContain("4091");
    read = await state.getPending("1");
    expect(read).toMatchObject({ state: "waiting", input: { kind: "code", digits: "4091" } });

    // Copied onto another admin's step, the ciphertext does not decrypt.
    await state.setPending("2", { kind: "code", phone: PHONE });
    await store.doc.send(
      new UpdateCommand({
        TableName: store.botStateTable,
        Key: { pk: "INPUT#2", sk: "input" },
        UpdateExpression: "SET digitsCiphertext = :c, digitsRev = :r",
        ExpressionAttributeValues: { ":c": raw?.digitsCiphertext, ":r": 1 },
      }),
    );
    await expect(state.getPending("2")).rejects.toThrow(/could not be decrypted/);

    // Submitted: the digits leave the item. Expired later, nothing of them is left to read.
    if (read.state !== "waiting" || read.input.kind !== "code") throw new Error("not waiting for a code");
    expect(await state.setCodeDigits("1", read.input, "")).toBe(true);
    expect(await rawInput(store, "1")).not.toHaveProperty("digitsCiphertext");
    advance(11 * 60);
    expect(await state.getPending("1")).toMatchObject({ state: "expired", input: { kind: "code" } });
    expect((await state.getPending("1")) as { input: { digits?: string } }).not.toHaveProperty(
      "input.digits",
    );
  });

  it("two presses from the same read: one lands, the other is told to read again (no digit lost)", async () => {
    const { state } = await stateWithClock();
    await state.setPending("1", { kind: "code", phone: PHONE });
    const read = await state.getPending("1");
    if (read.state !== "waiting" || read.input.kind !== "code") throw new Error("not waiting for a code");
    expect(await state.setCodeDigits("1", read.input, "4")).toBe(true);
    expect(await state.setCodeDigits("1", read.input, "7")).toBe(false);
    const again = await state.getPending("1");
    if (again.state !== "waiting" || again.input.kind !== "code") throw new Error("not waiting");
    expect(again.input.digits).toBe("4");
    expect(await state.setCodeDigits("1", again.input, "47")).toBe(true);
    expect(await state.getPending("1")).toMatchObject({ input: { digits: "47" } });
    // Not a code step any more: nothing is written.
    await state.setPending("1", { kind: "password", phone: PHONE });
    expect(await state.setCodeDigits("1", again.input, "479")).toBe(false);
  });
});
