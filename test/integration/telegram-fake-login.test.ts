import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../lib/log";
import type { LoginOutcome } from "../../lib/telegram/contract";
import { resolveDeps } from "../../lib/telegram/deps";
import { LoginFlowStore } from "../../lib/bot-state/login-flows";
import type { Phone } from "../../lib/sessions";
import { AuditLog } from "../../lib/bot-state/audit";
import { createTestStore, type TestStore } from "../support/dynamo";
import { harness, newPhone, seedSession, type Harness } from "../support/fake-telegram-harness";
import { faultyStore, type FaultyStore } from "../support/faults";

let store: TestStore;
let faulty: FaultyStore;
beforeAll(async () => {
  store = await createTestStore();
  faulty = faultyStore(store);
});
afterAll(() => faulty.destroy());

const check = { deadlineMs: 5_000, actor: "test" };

/** The code as an admin types it into the bot: digits apart, so Telegram does not block it. */
function spaced(code: string): string {
  return code.split("").join(" ");
}

function codeOf(h: Harness, phone: string): string {
  const code = h.fake.codes.get(phone);
  if (!code) throw new Error(`no code was sent to ${phone}`);
  return code;
}

function flowOf(outcome: LoginOutcome) {
  if (!("flow" in outcome)) throw new Error(`expected a flow, got ${outcome.kind}`);
  return outcome.flow;
}

describe("adding a session by logging in, one step per process", () => {
  it("two admins starting the same phone at once: one login is theirs, the other is refused and its key logged out", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 555090, username: "raced", firstName: "Raced" });
    // Both read "no login in progress" before either stores its flow: the flow's write decides.
    h.fake.failOn(phone, "auth.SendCode", { delayMs: 150 }, 2);
    // The same code to both keys, so the test knows the winner's whichever key got its code last.
    h.fake.nextCode = "40917";

    const [a, b] = await Promise.all([
      h.another().login.startLogin(phone, "tg:1"),
      h.another().login.startLogin(phone, "tg:2"),
    ]);
    const kinds = [a.kind, b.kind].sort();
    expect(kinds).toEqual(["code-sent", "flow-held"]);
    const won = a.kind === "code-sent" ? a : b;
    const lost = a.kind === "code-sent" ? b : a;
    expect(lost).toMatchObject({ kind: "flow-held", flow: { phone, startedBy: flowOf(won).startedBy } });
    expect(await h.another().login.getFlow(phone)).toEqual(flowOf(won));
    // A refused start whose key already had a code sent to it ends that key at Telegram rather than leaving it
    // behind. Under load the second start may instead read the winner's flow before asking for a code: then no
    // second key exists. Either way every code-bearing key but the winner's is logged out.
    const codesSent = h.fake.calls.filter((c) => c.phone === phone && c.request === "auth.SendCode").length;
    expect([1, 2]).toContain(codesSent);
    expect(h.fake.loggedOutKeys(phone)).toBe(codesSent - 1);
    // The winner's login goes on; the loser's steps and cancel do not touch it.
    const loser = flowOf(won).startedBy === "tg:1" ? "tg:2" : "tg:1";
    expect(await h.another().login.submitCode(phone, "1 2 3 4 5", loser)).toMatchObject({
      kind: "flow-held",
    });
    await h.another().login.cancel(phone, loser);
    expect(
      await h.another().login.submitCode(phone, spaced(codeOf(h, phone)), flowOf(won).startedBy),
    ).toMatchObject({ kind: "logged-in" });
  });

  it("logs in with a code typed with separators, and the stored session works", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 555001, username: "sales_desk", firstName: "Sales" });

    const sent = await h.another().login.startLogin(phone, "tg:100");
    expect(sent).toMatchObject({
      kind: "code-sent",
      flow: {
        phone,
        step: "code",
        attemptsLeft: 3,
        codeDelivery: "app",
        codeLength: 5,
        startedBy: "tg:100",
        replacesExisting: false,
      },
    });

    const done = await h.another().login.submitCode(phone, spaced(codeOf(h, phone)));

    expect(done).toMatchObject({
      kind: "logged-in",
      replaced: false,
      session: { phone, status: "active", isPaused: false },
    });
    expect((await h.sessions.require(phone)).account).toEqual({
      userId: "555001",
      username: "sales_desk",
      firstName: "Sales",
    });
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
    expect(await h.another().userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    const audit = await h.audit.day(new Date().toISOString().slice(0, 10));
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "session.created", phone, actor: "tg:100" }),
    );
  });

  it("logs in a 2FA account across three separate client instances, showing the password hint", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 555002, password: "correct horse", hint: "the horse" });

    await h.another().login.startLogin(phone, "tg:100");
    const needsPassword = await h.another().login.submitCode(phone, codeOf(h, phone).split("").join("a"));
    expect(needsPassword).toMatchObject({
      kind: "password-needed",
      flow: { step: "password", passwordHint: "the horse" },
    });

    const done = await h.another().login.submitPassword(phone, "correct horse");

    expect(done).toMatchObject({ kind: "logged-in", session: { phone, status: "active" } });
    // No getMe: the authorization CheckPassword answers names the account.
    expect(h.fake.calls.map((c) => c.request)).toEqual([
      "auth.SendCode",
      "auth.SignIn",
      "account.GetPassword",
      "account.GetPassword",
      "auth.CheckPassword",
    ]);
    // One client per step (the hint is fetched by its own short client), each destroyed.
    expect(new Set(h.fake.calls.map((c) => c.client)).size).toBe(4);
    expect(h.fake.stats.destroyed).toBe(h.fake.stats.created);
    expect(await h.another().userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
  });

  it("follows the phone to its data centre (PHONE_MIGRATE) and keeps the key made there", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 555003, homeDc: 2 });
    await h.another().login.startLogin(phone, "cli:ops");
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({ kind: "logged-in" });
  });
});

describe("every way a login can fail has its own outcome", () => {
  it("a wrong code spends one of three attempts; the third ends the flow", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 1 });
    await h.another().login.startLogin(phone, "tg:1");
    const wrong = codeOf(h, phone) === "11111" ? "22222" : "11111";

    expect(flowOf(await h.another().login.submitCode(phone, wrong))).toMatchObject({ attemptsLeft: 2 });
    expect(await h.another().login.submitCode(phone, wrong)).toMatchObject({
      kind: "wrong-code",
      flow: { attemptsLeft: 1 },
    });
    expect(await h.another().login.submitCode(phone, wrong)).toEqual({ kind: "too-many-attempts" });
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toEqual({ kind: "no-flow" });
    expect(await h.sessions.get(phone)).toBeUndefined();
  });

  it("text that is not a code is refused without spending an attempt or asking Telegram", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 1 });
    await h.another().login.startLogin(phone, "tg:1");
    expect(await h.another().login.submitCode(phone, "hello")).toMatchObject({
      kind: "wrong-code",
      flow: { attemptsLeft: 3 },
    });
    expect(await h.another().login.submitCode(phone, "123")).toMatchObject({
      kind: "wrong-code",
      flow: { attemptsLeft: 3 },
    });
    expect(h.fake.calls.map((c) => c.request)).toEqual(["auth.SendCode"]);
  });

  it("a wrong password spends an attempt and the right one still logs in", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 2, password: "s3cret-pw" });
    await h.another().login.startLogin(phone, "tg:1");
    await h.another().login.submitCode(phone, codeOf(h, phone));

    expect(await h.another().login.submitPassword(phone, "wrong-pw")).toMatchObject({
      kind: "wrong-password",
      flow: { step: "password", attemptsLeft: 2 },
    });
    expect(await h.another().login.submitPassword(phone, "s3cret-pw")).toMatchObject({ kind: "logged-in" });
  });

  it("an expired code (or one shared in a chat) ends the flow: start again", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 3 });
    await h.another().login.startLogin(phone, "tg:1");
    h.fake.failOn(phone, "auth.SignIn", { error: [400, "PHONE_CODE_EXPIRED"] });
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toEqual({ kind: "code-expired" });
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
  });

  it("a code sent to one key does not sign in another: the flow must carry the session", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 4 });
    await h.another().login.startLogin(phone, "tg:1");
    const code = codeOf(h, phone);
    await h.another().login.startLogin(phone, "tg:1"); // a new flow, a new key, a new code
    expect(codeOf(h, phone)).not.toBe("");
    const outcome = await h.another().login.submitCode(phone, code);
    expect(["wrong-code", "code-expired"]).toContain(outcome.kind);
  });

  it.each([
    ["an invalid number", { error: [406, "PHONE_NUMBER_INVALID"] as const }, { kind: "invalid-phone" }],
    ["a banned number", { error: [400, "PHONE_NUMBER_BANNED"] as const }, { kind: "phone-banned" }],
    ["a flood wait", { floodWaitSeconds: 3600 }, { kind: "flood-wait", seconds: 3600 }],
    [
      "too many logins today",
      { error: [400, "PHONE_NUMBER_FLOOD"] as const },
      { kind: "flood-wait", seconds: 86_400 },
    ],
    ["a Telegram outage", { error: [500, "INTERNAL"] as const }, { kind: "unavailable" }],
  ])("at SendCode: %s", async (_what, script, expected) => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 5 });
    h.fake.failOn(phone, "auth.SendCode", script);
    expect(await h.another().login.startLogin(phone, "tg:1")).toMatchObject(expected);
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
  });

  it("a number without a Telegram account", async () => {
    const h = harness(store);
    const phone = newPhone(); // not added to the fake: SignIn answers AuthorizationSignUpRequired
    await h.another().login.startLogin(phone, "tg:1");
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toEqual({ kind: "no-account" });
    const other = newPhone();
    await h.another().login.startLogin(other, "tg:1");
    h.fake.failOn(other, "auth.SignIn", { error: [400, "PHONE_NUMBER_UNOCCUPIED"] });
    expect(await h.another().login.submitCode(other, codeOf(h, other))).toEqual({ kind: "no-account" });
    expect(await h.sessions.get(phone)).toBeUndefined();
  });

  it("API id or hash refused by Telegram", async () => {
    const h = harness(store, { credentials: async () => ({ apiId: 999, apiHash: "f".repeat(32) }) });
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 6 });
    expect(await h.services.login.startLogin(phone, "tg:1")).toEqual({ kind: "api-credentials-invalid" });
  });

  it("Telegram unreachable: unavailable, and the flow survives for a retry", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 7 });
    h.fake.onConnect("*", "fail");
    expect(await h.another().login.startLogin(phone, "tg:1")).toMatchObject({ kind: "unavailable" });
    h.fake.onConnect("*", undefined);
    await h.another().login.startLogin(phone, "tg:1");
    h.fake.onConnect("*", "fail");
    const outcome = await h.another().login.submitCode(phone, codeOf(h, phone));
    expect(outcome).toMatchObject({
      kind: "unavailable",
      message: expect.stringContaining("CONNECT_FAILED"),
    });
    h.fake.onConnect("*", undefined);
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({ kind: "logged-in" });
  });

  it("an expired flow is gone", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 8 });
    await h.another().login.startLogin(phone, "tg:1");
    const later = h.another({ now: () => new Date(Date.now() + 11 * 60_000) });
    expect(await later.login.getFlow(phone)).toBeUndefined();
    expect(await later.login.submitCode(phone, codeOf(h, phone))).toEqual({ kind: "no-flow" });
  });

  it("cancel ends the flow", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 9 });
    await h.another().login.startLogin(phone, "tg:1");
    await h.another().login.cancel(phone);
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toEqual({ kind: "no-flow" });
  });
});

describe("logging in again a phone that has a session", () => {
  it("a failed re-login leaves the old session exactly as it was", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    const before = await h.sessions.require(phone);
    const oldString = await h.sessions.readSessionString(phone);

    const sent = await h.another().login.startLogin(phone, "tg:1");
    expect(flowOf(sent).replacesExisting).toBe(true);
    const wrong = codeOf(h, phone) === "11111" ? "22222" : "11111";
    for (let i = 0; i < 3; i++) await h.another().login.submitCode(phone, wrong);

    expect(await h.sessions.require(phone)).toEqual(before);
    expect(await h.sessions.readSessionString(phone)).toBe(oldString);
    expect(await h.another().userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
  });

  it("a successful one replaces a dead session and brings it back to active", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.revokeAll(phone);
    await h.another().userbots.checkSession(phone, check);
    expect(await h.sessions.require(phone)).toMatchObject({ status: "error" });
    const oldString = await h.sessions.readSessionString(phone);

    await h.another().login.startLogin(phone, "tg:2");
    const done = await h.another().login.submitCode(phone, codeOf(h, phone));

    expect(done).toMatchObject({
      kind: "logged-in",
      replaced: true,
      session: { status: "active", isPaused: false },
    });
    const row = await h.sessions.require(phone);
    expect(row.lastError).toBeUndefined();
    expect(await h.sessions.readSessionString(phone)).not.toBe(oldString);
    expect(await h.another().userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    const audit = await h.audit.day(new Date().toISOString().slice(0, 10));
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "session.relogin", phone, actor: "tg:2" }),
    );
  });
});

describe("the stored login flow", () => {
  it("keeps its secrets encrypted, bound to the phone", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 10 });
    await h.another().login.startLogin(phone, "tg:1");
    const item = (
      await store.doc.send(
        new GetCommand({ TableName: store.botStateTable, Key: { pk: `LOGIN#${phone}`, sk: "FLOW" } }),
      )
    ).Item!;
    expect(Object.keys(item).sort()).toEqual(
      [
        "pk",
        "sk",
        "phone",
        "flowId",
        "version",
        "step",
        "attemptsLeft",
        "startedBy",
        "replacesExisting",
        "codeDelivery",
        "codeLength",
        "flowSecretCiphertext",
        "expiresAtIso",
        "expiresAt",
      ].sort(),
    );
    expect(String(item.flowSecretCiphertext)).toMatch(/^skenc2\./);
    expect(item.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it("a slow step of a login restarted meanwhile cannot write into the new one", async () => {
    const h = harness(store);
    const flows = new LoginFlowStore(
      resolveDeps({
        sessions: h.sessions,
        doc: store.doc,
        botStateTable: store.botStateTable,
        cipher: store.cipher,
        credentials: async () => ({ apiId: 1, apiHash: "x" }),
        logger: createLogger({ service: "test" }),
      }),
    );
    const phone = newPhone();
    const base = { phone, startedBy: "tg:1", replacesExisting: false };
    await flows.start(base, { session: "old", phoneCodeHash: "h1" });
    const oldClaim = await flows.claim(phone, (await flows.get(phone))!);
    await flows.start(base, { session: "new", phoneCodeHash: "h2" });
    const newClaim = await flows.claim(phone, (await flows.get(phone))!);
    expect(newClaim.version).toBe(oldClaim.version); // same numbers: only the flow id tells them apart

    expect(await flows.release(phone, oldClaim, { attemptsLeft: 0 })).toBeUndefined();
    await flows.delete(phone, oldClaim);

    const current = await flows.get(phone);
    expect(current).toMatchObject({ secret: { phoneCodeHash: "h2" }, view: { attemptsLeft: 3 } });
    expect(await flows.release(phone, newClaim)).toMatchObject({ attemptsLeft: 3 });
  });

  it("two concurrent code steps for one phone sign in once", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 11 });
    await h.another().login.startLogin(phone, "tg:1");
    const code = codeOf(h, phone);

    const outcomes = await Promise.all([
      h.another().login.submitCode(phone, code),
      h.another().login.submitCode(phone, code),
    ]);

    const kinds = outcomes.map((o) => o.kind).sort();
    expect(kinds.filter((k) => k === "logged-in")).toHaveLength(1);
    expect(["no-flow", "unavailable"]).toContain(kinds.find((k) => k !== "logged-in"));
    expect(h.fake.calls.filter((c) => c.request === "auth.SignIn")).toHaveLength(1);
    expect(await h.sessions.require(phone)).toMatchObject({ status: "active", version: 1 });
  });
});

describe("a login Telegram accepted is not lost to a failed write", () => {
  /** A login whose DynamoDB writes go through the faulty client (reads back through the clean one). */
  function faultyLogin(account: { password?: string } = {}) {
    const h = harness(store, {
      sessions: faulty.sessions(),
      doc: faulty.doc,
      audit: new AuditLog(faulty.doc, store.botStateTable),
    });
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 777, username: "kept", ...account });
    return { h, phone };
  }

  const asked = (h: Harness, request: string) => h.fake.calls.filter((c) => c.request === request);

  /**
   * A login whose code Telegram accepted, with write `failing` of the code step (1 the claim, 2 the signed-in mark,
   * 3 the session's put, 4 the flow's end) failed: the step answered "unavailable" and the flow waits, marked.
   */
  async function acceptedNotStored(failing: number, startedBy = "tg:1") {
    const { h, phone } = faultyLogin();
    await h.another().login.startLogin(phone, startedBy);
    faulty.reset();
    faulty.failWrite(failing, "throttle");
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({
      kind: "unavailable",
    });
    return { h, phone };
  }

  async function logins(h: Harness, phone: string) {
    const audit = await h.audit.day(new Date().toISOString().slice(0, 10));
    return audit.filter((e) => e.phone === phone && e.action.startsWith("session."));
  }

  it("the session's write fails after SignIn: the same code again stores it without asking Telegram again", async () => {
    const { h, phone } = faultyLogin();
    await h.another().login.startLogin(phone, "tg:1");
    faulty.reset();
    faulty.failWrite(3, "throttle"); // the claim, the signed-in mark, the session's put (with the fleet counter)

    const first = await h.another().login.submitCode(phone, spaced(codeOf(h, phone)));

    expect(first).toMatchObject({
      kind: "unavailable",
      message: expect.stringContaining("storing it failed"),
    });
    expect(faulty.writes.map((w) => [w.command, w.faulted])).toEqual([
      ["UpdateItemCommand", undefined],
      ["UpdateItemCommand", undefined],
      ["TransactWriteItemsCommand", "throttle"],
      ["UpdateItemCommand", undefined], // the claim freed, the mark kept
    ]);
    expect(await h.sessions.get(phone)).toBeUndefined();
    expect(await h.another().login.getFlow(phone)).toMatchObject({ step: "code" });

    const done = await h.another().login.submitCode(phone, spaced(codeOf(h, phone)));

    expect(done).toMatchObject({ kind: "logged-in", replaced: false, session: { phone, status: "active" } });
    expect(asked(h, "auth.SignIn")).toHaveLength(1);
    expect(asked(h, "auth.LogOut")).toHaveLength(0);
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
    expect(await logins(h, phone)).toEqual([
      expect.objectContaining({ action: "session.created", actor: "tg:1" }),
    ]);
    expect(await h.another().userbots.checkSession(phone, check)).toMatchObject({
      outcome: "healthy",
      account: { userId: "777" },
    });
  });

  it("the flow's end (with the audit entry) fails: the retry neither rewrites the session nor audits twice", async () => {
    const { h, phone } = faultyLogin();
    await h.another().login.startLogin(phone, "tg:1");
    faulty.reset();
    faulty.failWrite(4, "throttle"); // the claim, the mark, the session's put, the flow's end with its audit entry

    expect(await h.another().login.submitCode(phone, spaced(codeOf(h, phone)))).toMatchObject({
      kind: "unavailable",
    });
    expect(faulty.writes[3]).toMatchObject({ command: "TransactWriteItemsCommand", faulted: "throttle" });
    expect(await h.sessions.require(phone)).toMatchObject({ status: "active", version: 1 });
    expect(await logins(h, phone)).toEqual([]);

    expect(await h.another().login.submitCode(phone, spaced(codeOf(h, phone)))).toMatchObject({
      kind: "logged-in",
      replaced: false,
    });
    expect(await h.sessions.require(phone)).toMatchObject({ status: "active", version: 1 });
    expect(await logins(h, phone)).toHaveLength(1);
    expect(asked(h, "auth.SignIn")).toHaveLength(1);
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
  });

  it("a re-login whose flow end failed after the session was replaced: the retry finishes it as a relogin, once", async () => {
    const h = harness(store, {
      sessions: faulty.sessions(),
      doc: faulty.doc,
      audit: new AuditLog(faulty.doc, store.botStateTable),
    });
    const phone = await seedSession(h);
    const oldString = await h.sessions.readSessionString(phone);
    const before = await h.sessions.require(phone);
    await h.another().login.startLogin(phone, "tg:2");
    faulty.reset();
    // The claim, the mark, the relogin (with the old key's item and the fleet counter's pending replaced keys), the
    // old key's logout recorded, the flow's end with its audit entry.
    faulty.failWrite(5, "throttle");

    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({
      kind: "unavailable",
    });
    expect(faulty.writes[2]).toMatchObject({
      command: "TransactWriteItemsCommand",
      target: "transaction of 3",
    });
    expect(faulty.writes[4]).toMatchObject({ faulted: "throttle" });
    const replaced = await h.sessions.require(phone);
    expect(replaced.version).toBe(before.version + 1);
    expect(await h.sessions.readSessionString(phone)).not.toBe(oldString);

    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({
      kind: "logged-in",
      replaced: true,
    });
    // Not written again, and recorded once, as what it was (after the old key's logout, recorded once too).
    expect(await h.sessions.require(phone)).toEqual(replaced);
    expect(await logins(h, phone)).toEqual([
      expect.objectContaining({ action: "session.logout", actor: "tg:2" }),
      expect.objectContaining({ action: "session.relogin", actor: "tg:2" }),
    ]);
    expect(asked(h, "auth.LogOut")).toHaveLength(1);
    expect(asked(h, "auth.SignIn")).toHaveLength(1);
  });

  it("the password was accepted and the session's write failed: the password step again finishes it", async () => {
    const { h, phone } = faultyLogin({ password: "pw-kept" });
    await h.another().login.startLogin(phone, "tg:1");
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({
      kind: "password-needed",
    });
    faulty.reset();
    faulty.failWrite(3, "throttle");

    expect(await h.another().login.submitPassword(phone, "pw-kept")).toMatchObject({ kind: "unavailable" });
    expect(await h.another().login.submitPassword(phone, "pw-kept")).toMatchObject({ kind: "logged-in" });

    expect(asked(h, "auth.CheckPassword")).toHaveLength(1);
    expect(await h.another().userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
  });

  it("a new start for the phone (the CLI's way to go on) finishes the signed-in login instead of sending a code", async () => {
    const { h, phone } = await acceptedNotStored(3, "cli:ops");

    expect(await h.another().login.startLogin(phone, "cli:ops")).toMatchObject({
      kind: "logged-in",
      session: { phone, status: "active" },
    });
    expect(asked(h, "auth.SendCode")).toHaveLength(1);
    expect(await logins(h, phone)).toEqual([expect.objectContaining({ actor: "cli:ops" })]);
  });

  it("an accepted login left unstored outlives the code step's 10 minutes: a new start half an hour later finishes it", async () => {
    const { h, phone } = await acceptedNotStored(3);

    const later = new Date(Date.now() + 30 * 60_000);
    expect(await h.another({ now: () => later }).login.startLogin(phone, "tg:1")).toMatchObject({
      kind: "logged-in",
      session: { phone, status: "active" },
    });
    expect(asked(h, "auth.SendCode")).toHaveLength(1);
    expect(asked(h, "auth.LogOut")).toHaveLength(0);
  });

  it("the signed-in mark cannot be written even on its second try: the key is logged out and the login starts again", async () => {
    const { h, phone } = faultyLogin();
    await h.another().login.startLogin(phone, "tg:1");
    faulty.reset();
    faulty.failWrite(2, "throttle");
    faulty.failWrite(3, "throttle");

    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({
      kind: "unavailable",
      message: expect.stringContaining("start it again"),
    });
    expect(asked(h, "auth.LogOut")).toEqual([expect.objectContaining({ phone })]);
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
    expect(await h.sessions.get(phone)).toBeUndefined();

    await h.another().login.startLogin(phone, "tg:1");
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({ kind: "logged-in" });
  });

  it("the mark lands but its answer is lost, and its second try fails: the flow is ended before the key is logged out", async () => {
    const { h, phone } = faultyLogin();
    await h.another().login.startLogin(phone, "tg:1");
    faulty.reset();
    faulty.failWrite(2, "throttle", { afterLanding: true }); // the mark: applied, its answer lost
    faulty.failWrite(3, "throttle"); // the mark's second try

    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({
      kind: "unavailable",
      message: expect.stringContaining("start it again"),
    });
    // The key was logged out only because the flow that recorded it is gone: no later step can store a dead key.
    expect(asked(h, "auth.LogOut")).toEqual([expect.objectContaining({ phone })]);
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
    const later = new Date(Date.now() + 61_000);
    expect(await h.another({ now: () => later }).login.submitCode(phone, codeOf(h, phone))).toEqual({
      kind: "no-flow",
    });
    expect(await h.sessions.get(phone)).toBeUndefined();
  });

  it("cancel racing the step that finishes an accepted login: the key that step stores is never logged out", async () => {
    const { h, phone } = await acceptedNotStored(3); // the session's put: the login waits, marked signed in

    // Cancel reads the flow (nobody holds it), then waits at its delete until the retry has claimed the flow.
    let claimed!: () => void;
    const retryClaimed = new Promise<void>((open) => (claimed = open));
    faulty.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: { pk?: unknown } };
        const onFlow = String(input.Key?.pk ?? "").startsWith("LOGIN#");
        const command = String(context.commandName);
        if (onFlow && command === "DeleteItemCommand") await retryClaimed;
        const out = await next(args);
        if (onFlow && command === "UpdateItemCommand") claimed();
        return out;
      },
      { step: "initialize", name: "raceCancel", priority: "low" },
    );
    try {
      const cancelling = h.another().login.cancel(phone);
      await new Promise((done) => setTimeout(done, 300));
      const resumed = await h.another().login.submitCode(phone, codeOf(h, phone));
      await cancelling;
      // Too late to cancel: the login had happened, and its key is stored alive.
      expect(resumed).toMatchObject({ kind: "logged-in", session: { phone, status: "active" } });
    } finally {
      claimed();
      faulty.client.middlewareStack.remove("raceCancel");
    }
    expect(asked(h, "auth.LogOut")).toHaveLength(0);
    expect(await logins(h, phone)).toHaveLength(1);
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
  });

  it("cancelled after Telegram accepted the code but before it was stored: the key is logged out", async () => {
    const { h, phone } = await acceptedNotStored(3);

    await h.another().login.cancel(phone);

    expect(asked(h, "auth.LogOut")).toEqual([expect.objectContaining({ phone })]);
    expect(await h.sessions.get(phone)).toBeUndefined();
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toEqual({ kind: "no-flow" });
  });

  it("cancelled once the session was stored (only the flow's end failed): the stored key is not logged out", async () => {
    const { h, phone } = await acceptedNotStored(4);

    await h.another().login.cancel(phone);

    expect(asked(h, "auth.LogOut")).toHaveLength(0);
    expect(await h.another().userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
  });
});

describe("a login cancelled or restarted while its code step runs", () => {
  /** Starts the code step with SignIn answering slowly, and waits until Telegram has been asked. */
  async function codeStepRunning(h: Harness, phone: Phone) {
    h.fake.failOn(phone, "auth.SignIn", { delayMs: 400 });
    const running = h.another().login.submitCode(phone, codeOf(h, phone));
    while (!h.fake.calls.some((c) => c.request === "auth.SignIn"))
      await new Promise((r) => setTimeout(r, 10));
    // Wrapped: an async function returning the promise itself would wait for it.
    return { running };
  }

  it("cancel: nothing is stored, the key Telegram signed in is logged out", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 778 });
    await h.another().login.startLogin(phone, "tg:1");
    const { running } = await codeStepRunning(h, phone);

    await h.another().login.cancel(phone);

    expect(await running).toEqual({ kind: "no-flow" });
    expect(await h.sessions.get(phone)).toBeUndefined();
    expect(await h.another().login.getFlow(phone)).toBeUndefined();
    const calls = h.fake.calls.map((c) => c.request);
    expect(calls.slice(calls.indexOf("auth.SignIn"))).toEqual(["auth.SignIn", "auth.LogOut"]);
    const audit = await h.audit.day(new Date().toISOString().slice(0, 10));
    expect(audit.filter((e) => e.phone === phone)).toEqual([]);
  });

  it("restart: the old step stores nothing and logs its key out; the new login goes on", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 779 });
    await h.another().login.startLogin(phone, "tg:1");
    const { running } = await codeStepRunning(h, phone);

    expect(await h.another().login.startLogin(phone, "tg:1")).toMatchObject({ kind: "code-sent" });

    expect(await running).toEqual({ kind: "no-flow" });
    expect(await h.sessions.get(phone)).toBeUndefined();
    expect(h.fake.calls.filter((c) => c.request === "auth.LogOut")).toHaveLength(1);
    expect(await h.another().login.submitCode(phone, codeOf(h, phone))).toMatchObject({ kind: "logged-in" });
  });
});
