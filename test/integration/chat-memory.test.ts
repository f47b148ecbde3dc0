/** The bot's short-lived state on DynamoDB Local: processed-once claims, stranger marks, pending input. */
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { ChatMemory, UPDATE_LOCK_SECONDS } from "../../lib/bot-state/chat-memory";
import { LoginFlowStore } from "../../lib/bot-state/login-flows";
import type { Phone } from "../../lib/sessions/phone";
import { createTestStore, type TestStore } from "../support/dynamo";

async function stateWithClock() {
  const store = await createTestStore();
  // Today, not a fixed date: DynamoDB Local removes items whose TTL is past by the real clock.
  let t = Math.floor(Date.now() / 1000) * 1000;
  const now = () => new Date(t);
  const state = new ChatMemory(store.doc, store.botStateTable, store.cipher, now);
  const flows = new LoginFlowStore({
    doc: store.doc,
    botStateTable: store.botStateTable,
    cipher: store.cipher,
    now,
  });
  /** A phone login at its code step (5 digits), as the login layer starts it. */
  const startLogin = () =>
    flows.start(
      { phone: PHONE, startedBy: "tg:1", replacesExisting: false, codeLength: 5 },
      { session: "temporary", phoneCodeHash: "hash" },
    );
  return { state, store, flows, startLogin, advance: (s: number) => (t += s * 1000) };
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
  it("a step waits until its time, then reads as expired (DynamoDB's TTL may lag by a day)", async () => {
    const { state, advance } = await stateWithClock();
    expect(await state.getPending("1")).toEqual({ state: "none" });
    await state.setPending("1", { kind: "phone" });
    expect(await state.getPending("1")).toMatchObject({ state: "waiting", input: { kind: "phone" } });
    advance(11 * 60);
    expect(await state.getPending("1")).toMatchObject({ state: "expired" });
    await state.clearPending("1");
    expect(await state.getPending("1")).toEqual({ state: "none" });
  });

  it("a phone login's step is read from its flow: the step, the code length and the expiry are the flow's", async () => {
    const { state, flows, startLogin, advance } = await stateWithClock();
    const flow = await startLogin();
    await state.setPending("1", { kind: "login", phone: PHONE, flowId: flow.flowId });
    expect(await state.getPending("1")).toMatchObject({
      state: "waiting",
      input: { kind: "code", phone: PHONE, flow: { codeLength: 5, expiresAt: flow.expiresAt } },
    });
    // The flow moves on to the password: so does the step, with nothing written to it.
    const stored = (await flows.get(PHONE))!;
    await flows.release(PHONE, await flows.claim(PHONE, stored), { step: "password", passwordHint: "bird" });
    expect(await state.getPending("1")).toMatchObject({
      state: "waiting",
      input: { kind: "password", phone: PHONE, flow: { step: "password", passwordHint: "bird" } },
    });
    // Read with the phone's flow in one call: the same answer.
    expect(await state.getPending("1", PHONE)).toEqual(await state.getPending("1"));
    advance(11 * 60);
    expect(await state.getPending("1")).toMatchObject({
      state: "expired",
      input: { kind: "code", phone: PHONE },
    });
    expect(await state.getPending("1", PHONE)).toMatchObject({ state: "expired" });
  });

  it("a step whose login was replaced by another (a new flow of the phone) or cancelled reads as expired", async () => {
    const { state, startLogin } = await stateWithClock();
    const first = await startLogin();
    await state.setPending("1", { kind: "login", phone: PHONE, flowId: first.flowId });
    await startLogin();
    expect(await state.getPending("1")).toMatchObject({ state: "expired", input: { kind: "code" } });
    // Without a flow id it answers whichever login of the phone is in progress.
    await state.setPending("1", { kind: "login", phone: PHONE });
    expect(await state.getPending("1")).toMatchObject({ state: "waiting", input: { kind: "code" } });
    await state.setPending("1", { kind: "login", phone: PHONE, cancelled: true });
    expect(await state.getPending("1")).toMatchObject({ state: "expired", input: { cancelled: true } });
  });

  it("an item stored before the step became a pointer (its own step, length and expiry) is still read", async () => {
    const { state, store, startLogin, advance } = await stateWithClock();
    await startLogin();
    const put = (input: Record<string, unknown>, until: number) =>
      store.doc.send(
        new PutCommand({
          TableName: store.botStateTable,
          Item: { pk: "INPUT#1", sk: "input", input, until, expiresAt: until + 86_400 },
        }),
      );
    const inTen = Math.floor(Date.now() / 1000) + 600;
    await put({ kind: "code", phone: PHONE, length: 5 }, inTen);
    let read = await state.getPending("1");
    expect(read).toMatchObject({
      state: "waiting",
      input: { kind: "code", phone: PHONE, flow: { codeLength: 5 } },
    });
    if (read.state !== "waiting" || read.input.kind !== "code") throw new Error("not waiting for a code");
    expect(await state.setCodeDigits("1", read.input, "12")).toBe(true);
    expect(await state.getPending("1")).toMatchObject({ input: { kind: "code", digits: "12" } });
    // Cancelled the old way: its expiry a second ago.
    await put({ kind: "password", phone: PHONE, cancelled: true }, inTen - 601);
    expect(await state.getPending("1")).toMatchObject({
      state: "expired",
      input: { kind: "password", cancelled: true },
    });
    await put({ kind: "code", phone: PHONE, length: 5 }, inTen);
    advance(11 * 60);
    read = await state.getPending("1");
    expect(read).toMatchObject({ state: "expired", input: { kind: "code", phone: PHONE } });
  });
});

describe("the keypad's digits", () => {
  it('are stored only encrypted, bound to the admin\'s step; a read gives them back; "" removes them', async () => {
    const { state, store, startLogin, advance } = await stateWithClock();
    const flow = await startLogin();
    await state.setPending("1", { kind: "login", phone: PHONE, flowId: flow.flowId });
    let read = await state.getPending("1");
    if (read.state !== "waiting" || read.input.kind !== "code") throw new Error("not waiting for a code");
    expect(await state.setCodeDigits("1", read.input, "4091")).toBe(true);

    const raw = await rawInput(store, "1");
    expect(raw?.input).toEqual({ kind: "login", phone: PHONE, flowId: flow.flowId });
    expect(JSON.stringify({ ...raw, digitsCiphertext: undefined })).not.toContain("4091");
    expect(String(raw?.digitsCiphertext)).toMatch(/^skenc2\./);
    expect(String(raw?.digitsCiphertext)).not.toContain("4091");
    read = await state.getPending("1");
    expect(read).toMatchObject({ state: "waiting", input: { kind: "code", digits: "4091" } });

    // Copied onto another admin's step, the ciphertext does not decrypt.
    await state.setPending("2", { kind: "login", phone: PHONE });
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
    const { state, startLogin } = await stateWithClock();
    await startLogin();
    await state.setPending("1", { kind: "login", phone: PHONE });
    const read = await state.getPending("1");
    if (read.state !== "waiting" || read.input.kind !== "code") throw new Error("not waiting for a code");
    expect(await state.setCodeDigits("1", read.input, "4")).toBe(true);
    expect(await state.setCodeDigits("1", read.input, "7")).toBe(false);
    const again = await state.getPending("1");
    if (again.state !== "waiting" || again.input.kind !== "code") throw new Error("not waiting");
    expect(again.input.digits).toBe("4");
    expect(await state.setCodeDigits("1", again.input, "47")).toBe(true);
    expect(await state.getPending("1")).toMatchObject({ input: { digits: "47" } });
    // Not a login step any more: nothing is written.
    await state.setPending("1", { kind: "qr-password" });
    expect(await state.setCodeDigits("1", again.input, "479")).toBe(false);
  });
});
