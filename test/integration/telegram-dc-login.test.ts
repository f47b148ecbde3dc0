/**
 * "➕ Add Session" (SEED.md step 3) through the real userbot layer against the loopback DC: from an empty session
 * (a new auth key by DH), the code "Telegram sent" typed with separators, the 2FA password with its hint, wrong
 * then right (a real SRP check), and the stored session then working in a fresh client. Every step runs in its own
 * `createUserbotServices` instance with its own client, as separate Lambda invocations would.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoginOutcome } from "../../lib/telegram/contract";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";
import { dcHarness, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;

beforeAll(async () => {
  [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
  h = dcHarness(store, dc);
});
afterAll(async () => {
  await dc?.stop();
});

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
