/**
 * "➕ Add Session" (SEED.md step 3) through the real userbot layer against the loopback DC: from an empty session
 * (a new auth key by DH), the code "Telegram sent" typed with separators, the 2FA password with its hint, wrong
 * then right (a real SRP check), and the stored session then working in a fresh client; a failed write after the
 * SRP check finished by the retry, and a cancel during the code step logging the key out. Every step runs in its own
 * `createUserbotServices` instance with its own client, as separate Lambda invocations would.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions";
import { AuditLog } from "../../lib/bot-state/audit";
import type { LoginOutcome } from "../../lib/telegram/contract";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";
import { faultyStore, type FaultyStore } from "../support/faults";
import { dcHarness, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;
let faulty: FaultyStore;

beforeAll(async () => {
  [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
  h = dcHarness(store, dc);
  faulty = faultyStore(store);
});
afterAll(async () => {
  faulty?.destroy();
  await dc?.stop();
});

/** The temporary session the login flow of `phone` holds (read through the clean client). */
async function flowSession(phone: Phone): Promise<string> {
  const item = (
    await store.doc.send(
      new GetCommand({ TableName: store.botStateTable, Key: { pk: `LOGIN#${phone}`, sk: "FLOW" } }),
    )
  ).Item!;
  const secret = await store.cipher.decrypt(String(item.flowSecretCiphertext), {
    purpose: "login",
    id: phone,
  });
  return (JSON.parse(secret) as { session: string }).session;
}

/** The code as an admin types it into the bot: digits apart, so Telegram does not block it. */
function spaced(code: string): string {
  return code.split("").join(" ");
}

function flowOf(outcome: LoginOutcome) {
  if (!("flow" in outcome)) throw new Error(`expected a flow, got ${outcome.kind}`);
  return outcome.flow;
}

describe("adding a session with 2FA, one step per invocation", () => {
  it("code with separators → password hint → wrong password → right password → a stored session that checks healthy", async () => {
    const phone = newPhone();
    dc.addAccount({
      phone,
      userId: 620_001,
      firstName: "Dilnoza",
      username: "dilnoza_shop",
      password: "correct horse battery",
      passwordHint: "the horse one",
    });
    const connectionsBefore = dc.stats().connectionsAccepted;

    const sent = await h.another().login.startLogin(phone, "tg:100");
    expect(sent).toMatchObject({
      kind: "code-sent",
      flow: { phone, step: "code", attemptsLeft: 3, codeDelivery: "app", codeLength: 5 },
    });
    const codes = dc.sentCodes(phone);
    expect(codes).toHaveLength(1);

    const needsPassword = await h.another().login.submitCode(phone, spaced(codes[0]!));
    expect(needsPassword).toMatchObject({
      kind: "password-needed",
      flow: { step: "password", attemptsLeft: 3, passwordHint: "the horse one" },
    });
    // Nothing is stored until the login has finished.
    expect(await h.sessions.get(phone)).toBeUndefined();

    const wrong = await h.another().login.submitPassword(phone, "correct horse");
    expect(wrong).toMatchObject({ kind: "wrong-password", flow: { step: "password", attemptsLeft: 2 } });
    expect(await h.sessions.get(phone)).toBeUndefined();

    const done = await h.another().login.submitPassword(phone, "correct horse battery");
    expect(done).toMatchObject({
      kind: "logged-in",
      replaced: false,
      session: { phone, status: "active", isPaused: false },
    });
    const row = await h.sessions.require(phone);
    expect(row.account).toEqual({ userId: "620001", username: "dilnoza_shop", firstName: "Dilnoza" });
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
    // startLogin, submitCode (+ the hint), two password steps: every step opened its own connection.
    expect(dc.stats().connectionsAccepted - connectionsBefore).toBeGreaterThanOrEqual(5);

    // The stored session is the key the DC logged in, and it works in a client that never saw the login.
    const stored = await h.sessions.readSessionString(phone);
    expect(dc.keyState(stored)).toMatchObject({ known: true, loggedInAs: 620_001n, duplicated: false });
    const checked = await h.another().userbots.checkSession(phone, {
      deadlineMs: 8_000,
      actor: "check-now:tg:100",
    });
    expect(checked).toMatchObject({ outcome: "healthy", account: { userId: "620001" } });
  });

  it("a code typed wrong costs an attempt and the flow goes on; Telegram's right code then works", async () => {
    const phone = newPhone();
    dc.addAccount({ phone, userId: 620_002, firstName: "Bobur" });

    await h.another().login.startLogin(phone, "cli:ops");
    const [code] = dc.sentCodes(phone);
    const wrongCode = String((Number(code) + 1) % 100_000).padStart(5, "0");

    const wrong = await h.another().login.submitCode(phone, spaced(wrongCode));
    expect(flowOf(wrong)).toMatchObject({ step: "code", attemptsLeft: 2 });
    expect(wrong.kind).toBe("wrong-code");

    const done = await h.another().login.submitCode(phone, `${code!.slice(0, 2)}-${code!.slice(2)}`);
    expect(done).toMatchObject({ kind: "logged-in", session: { phone, status: "active" } });
  });
});

describe("a login the DC accepted, and what the writes after it do", () => {
  it("the session's write fails after the real SRP check: the password step again stores the key the DC logged in", async () => {
    const f = dcHarness(store, dc, {
      sessions: faulty.sessions(),
      doc: faulty.doc,
      audit: new AuditLog(faulty.doc, store.botStateTable),
    });
    const phone = newPhone();
    dc.addAccount({ phone, userId: 620_010, firstName: "Kamola", password: "pw 620010" });
    await f.another().login.startLogin(phone, "tg:100");
    await f.another().login.submitCode(phone, spaced(dc.sentCodes(phone)[0]!));
    const key = await flowSession(phone);
    faulty.reset();
    faulty.failWrite(3, "throttle"); // the claim, the signed-in mark, the session's put

    expect(await f.another().login.submitPassword(phone, "pw 620010")).toMatchObject({ kind: "unavailable" });
    expect(dc.keyState(key)).toMatchObject({ known: true, loggedInAs: 620_010n });
    expect(await f.sessions.get(phone)).toBeUndefined();

    const done = await f.another().login.submitPassword(phone, "pw 620010");

    expect(done).toMatchObject({ kind: "logged-in", session: { phone, status: "active" } });
    const stored = await h.sessions.readSessionString(phone);
    expect(stored).toBe(key);
    expect(dc.keyState(stored)).toMatchObject({ loggedInAs: 620_010n, duplicated: false });
    expect(await f.another().login.getFlow(phone)).toBeUndefined();
    expect(
      await f.another().userbots.checkSession(phone, { deadlineMs: 8_000, actor: "check-now:tg:100" }),
    ).toMatchObject({ outcome: "healthy" });
  });

  it("cancelled while the code step runs: nothing stored, and the key the DC signed in is logged out", async () => {
    const phone = newPhone();
    dc.addAccount({ phone, userId: 620_011, firstName: "Jasur" });
    await h.another().login.startLogin(phone, "tg:100");
    const key = await flowSession(phone);
    dc.script(phone, { method: "auth.SignIn", delayMs: 1_000, times: 1 });

    const running = h.another().login.submitCode(phone, spaced(dc.sentCodes(phone)[0]!));
    // The step has claimed the flow and connected on its key: the admin cancels now.
    while (dc.keyState(key).openConnections === 0) await new Promise((r) => setTimeout(r, 10));
    await h.another().login.cancel(phone);

    expect(await running).toEqual({ kind: "no-flow" });
    expect(await h.sessions.get(phone)).toBeUndefined();
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
    // The DC signed the key in (the right code, answered after the cancel); the step logged it out again.
    expect(dc.keyState(key)).toMatchObject({ known: true });
    expect(dc.keyState(key).loggedInAs).toBeUndefined();
  });
});
