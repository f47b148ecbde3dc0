/**
 * "➕ Add Session" by QR code through the real userbot layer against the loopback DC: a new key by DH, the login
 * token shown as `tg://login?token=…`, the account owner's app scanning it (`dc.scanLoginToken`), polls that find
 * it not yet scanned, expired and renewed, scanned and logged in, or waiting for the 2FA password; an account that
 * lives on another DC (DC 4: auth.loginTokenMigrateTo, GramJS's `_switchDC`, auth.importLoginToken there). Every
 * step runs in its own `createUserbotServices` instance with its own client, as separate Lambda invocations would;
 * what is asserted is what an operator would notice: the QR code, the outcome, the stored session working, the
 * audit trail, and no secret in the logs.
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../lib/log";
import type { Phone } from "../../lib/sessions";
import type { QrLoginOutcome } from "../../lib/telegram/contract";
import { resolveDeps } from "../../lib/telegram/deps";
import { QrFlowStore } from "../../lib/bot-state/login-flows";
import { StringSession } from "../../lib/telegram/client";
import { captureOutput } from "../support/capture-logs";
import { loopbackDcEnv } from "../support/cli-dc";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";
import { runChildScript } from "../support/mtproto/child-run";
import type { QrPollChildReport } from "../support/mtproto/child-qr-poll";
import { API_HASH, dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let store: TestStore;
let dc: LoopbackDc;
/** Where the accounts of the migration tests live; linked to `dc`, which the clients dial first. */
let dc4: LoopbackDc;
let h: DcHarness;

beforeAll(async () => {
  [store, dc, dc4] = await Promise.all([createTestStore(), startLoopbackDc(), startLoopbackDc({ dcId: 4 })]);
  dc.linkDc(dc4);
  h = dcHarness(store, dc);
});
afterAll(async () => {
  await Promise.all([dc?.stop(), dc4?.stop()]);
});

let ownerCounter = 0;
/** A fresh owner per test: QR flows are keyed by who started them. */
function newOwner(): string {
  ownerCounter += 1;
  return `tg:${process.pid}${String(ownerCounter).padStart(3, "0")}`;
}

let nextUserId = 730_000;
function newAccount(target: LoopbackDc, spec: { password?: string; passwordHint?: string } = {}) {
  const phone = newPhone();
  nextUserId += 1;
  const userId = nextUserId;
  target.addAccount({ phone, userId, firstName: `Qr${userId}`, username: `qr_user_${userId}`, ...spec });
  return { phone, userId };
}

function qrOf(outcome: QrLoginOutcome): Extract<QrLoginOutcome, { kind: "qr" }> {
  if (outcome.kind !== "qr") throw new Error(`expected a QR code, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function tokenOf(url: string): Buffer {
  const match = /^tg:\/\/login\?token=([A-Za-z0-9_-]+)$/.exec(url);
  if (!match) throw new Error(`not a QR login URL: ${url}`);
  return Buffer.from(match[1]!, "base64url");
}

async function auditOf(phone: Phone) {
  const today = await h.audit.day(new Date().toISOString().slice(0, 10));
  return today.filter((entry) => entry.phone === phone);
}

function sessionDc(sessionString: string): { dcId: number; host: string } {
  const session = new StringSession(sessionString);
  return { dcId: session.dcId, host: session.serverAddress };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

describe("a QR login, one step per invocation", () => {
  it("start shows the DC's token as tg://login?token=…; a poll before the scan shows the same code and stores nothing", async () => {
    const owner = newOwner();
    const { phone } = newAccount(dc);
    const before = Date.now();

    const { value: started, ms: startMs } = await timed(() => h.another().qr.startQr(owner));
    const after = Date.now();
    const qr = qrOf(started);
    expect(qr).toMatchObject({ renewed: false, flow: { owner, step: "scan", attemptsLeft: 3 } });
    const token = tokenOf(qr.url);
    expect(dc.loginTokensIssued().some((issued) => issued.equals(token))).toBe(true);
    // Telegram's 30 s from when the DC issued it (within the call), in whole seconds.
    const expires = Date.parse(qr.tokenExpiresAt);
    expect(expires).toBeGreaterThan(before + 28_000);
    expect(expires).toBeLessThanOrEqual(after + 31_000);
    expect(Date.parse(qr.flow.expiresAt) - before).toBeGreaterThan(9 * 60_000);

    const { value: polled, ms: pollMs } = await timed(() => h.another().qr.pollQr(owner));
    expect(polled).toMatchObject({ kind: "qr", url: qr.url, renewed: false, flow: { step: "scan" } });
    expect(await h.another().qr.getQrFlow(owner)).toMatchObject({ owner, step: "scan" });
    expect(await h.sessions.get(phone as Phone)).toBeUndefined();
    console.log(`QR on the loopback DC: start ${startMs} ms, poll (not scanned) ${pollMs} ms`);
  });

  it("a token that expired unscanned is replaced by a new one (renewed), which the owner's app then scans", async () => {
    const owner = newOwner();
    const { phone, userId } = newAccount(dc);
    dc.setLoginTokenTtl(1_000);
    let first: Extract<QrLoginOutcome, { kind: "qr" }>;
    try {
      first = qrOf(await h.another().qr.startQr(owner));
      await new Promise((done) => setTimeout(done, 1_300));
    } finally {
      dc.setLoginTokenTtl(30_000);
    }
    expect(() => dc.scanLoginToken(first.url, phone)).toThrow("AUTH_TOKEN_EXPIRED");

    const renewed = qrOf(await h.another().qr.pollQr(owner));
    expect(renewed.renewed).toBe(true);
    expect(renewed.url).not.toBe(first.url);
    expect(Date.parse(renewed.tokenExpiresAt)).toBeGreaterThan(Date.parse(first.tokenExpiresAt));
    // The same token again on the next poll: not renewed.
    expect(await h.another().qr.pollQr(owner)).toMatchObject({
      kind: "qr",
      url: renewed.url,
      renewed: false,
    });

    expect(dc.scanLoginToken(renewed.url, phone)).toEqual({ dcId: 2, userId: BigInt(userId) });
    expect(await h.another().qr.pollQr(owner)).toMatchObject({ kind: "logged-in", session: { phone } });
  });

  it("scan → poll logs in: an active session with the account's phone and id, working in a fresh instance, audited once; a second poll changes nothing", async () => {
    const owner = newOwner();
    const { phone, userId } = newAccount(dc);
    const qr = qrOf(await h.another().qr.startQr(owner));
    dc.scanLoginToken(qr.url, userId);

    const { value: done, ms } = await timed(() => h.another().qr.pollQr(owner));
    expect(done).toMatchObject({
      kind: "logged-in",
      replaced: false,
      session: { phone, status: "active", isPaused: false },
    });
    console.log(`QR on the loopback DC: poll after the scan (export, getMe, store) ${ms} ms`);
    const row = await h.sessions.require(phone as Phone);
    expect(row.account).toEqual({
      userId: String(userId),
      username: `qr_user_${userId}`,
      firstName: `Qr${userId}`,
    });
    expect(await h.another().qr.getQrFlow(owner)).toBeUndefined();
    const stored = await h.sessions.readSessionString(phone as Phone);
    expect(dc.keyState(stored)).toMatchObject({ known: true, loggedInAs: BigInt(userId), duplicated: false });
    expect(
      await h.another().userbots.checkSession(phone as Phone, { deadlineMs: 8_000, actor: "check-now:tg:1" }),
    ).toMatchObject({ outcome: "healthy", account: { userId: String(userId) } });
    const logins = async () =>
      (await auditOf(phone as Phone)).filter(
        (e) => e.action === "session.created" || e.action === "session.relogin",
      );
    expect(await logins()).toEqual([
      expect.objectContaining({ action: "session.created", actor: owner, phone }),
    ]);

    const again = await h.another().qr.pollQr(owner);
    expect(again).toEqual({ kind: "no-flow" });
    expect(await h.another().qr.submitQrPassword(owner, "anything")).toEqual({ kind: "no-flow" });
    expect(await logins()).toHaveLength(1);
    expect(await h.sessions.readSessionString(phone as Phone)).toBe(stored);
  });

  it("2FA: scan → password-needed with the hint → wrong password (2 left) → right password → logged in", async () => {
    const owner = newOwner();
    const { phone, userId } = newAccount(dc, { password: "qr pass 2026", passwordHint: "the qr one" });
    const qr = qrOf(await h.another().qr.startQr(owner));
    dc.scanLoginToken(qr.url, phone);

    const needs = await h.another().qr.pollQr(owner);
    expect(needs).toMatchObject({
      kind: "password-needed",
      flow: { owner, step: "password", attemptsLeft: 3, passwordHint: "the qr one" },
    });
    expect(await h.sessions.get(phone as Phone)).toBeUndefined();
    // Polling again does not go back to a QR code.
    expect(await h.another().qr.pollQr(owner)).toMatchObject({ kind: "password-needed" });

    const wrong = await h.another().qr.submitQrPassword(owner, "qr pass");
    expect(wrong).toMatchObject({ kind: "wrong-password", flow: { step: "password", attemptsLeft: 2 } });
    expect(await h.sessions.get(phone as Phone)).toBeUndefined();

    const done = await h.another().qr.submitQrPassword(owner, "qr pass 2026");
    expect(done).toMatchObject({ kind: "logged-in", replaced: false, session: { phone, status: "active" } });
    const stored = await h.sessions.readSessionString(phone as Phone);
    expect(dc.keyState(stored)).toMatchObject({ loggedInAs: BigInt(userId) });
    expect(await h.another().qr.getQrFlow(owner)).toBeUndefined();
  });

  it("three wrong passwords end the QR login: too-many-attempts, and the flow is gone", async () => {
    const owner = newOwner();
    const { phone } = newAccount(dc, { password: "right one" });
    dc.scanLoginToken(qrOf(await h.another().qr.startQr(owner)).url, phone);
    expect(await h.another().qr.pollQr(owner)).toMatchObject({ kind: "password-needed" });
    expect(await h.another().qr.submitQrPassword(owner, "wrong 1")).toMatchObject({
      flow: { attemptsLeft: 2 },
    });
    expect(await h.another().qr.submitQrPassword(owner, "wrong 2")).toMatchObject({
      flow: { attemptsLeft: 1 },
    });
    expect(await h.another().qr.submitQrPassword(owner, "wrong 3")).toEqual({ kind: "too-many-attempts" });
    expect(await h.another().qr.getQrFlow(owner)).toBeUndefined();
    expect(await h.another().qr.submitQrPassword(owner, "right one")).toEqual({ kind: "no-flow" });
    expect(await h.sessions.get(phone as Phone)).toBeUndefined();
  });

  it("an account on DC 4: the poll follows auth.loginTokenMigrateTo there, and the stored session lives on DC 4 and works", async () => {
    const owner = newOwner();
    const { phone, userId } = newAccount(dc4);
    const qr = qrOf(await h.another().qr.startQr(owner));
    expect(dc.scanLoginToken(qr.url, phone)).toEqual({ dcId: 4, userId: BigInt(userId) });
    const dc4Before = dc4.stats().connectionsAccepted;

    const { value: done, ms } = await timed(() => h.another().qr.pollQr(owner));
    expect(done).toMatchObject({ kind: "logged-in", replaced: false, session: { phone, status: "active" } });
    console.log(`QR on the loopback DC: poll after the scan with a migration to DC 4 ${ms} ms`);
    expect(dc4.stats().connectionsAccepted).toBeGreaterThan(dc4Before);
    const stored = await h.sessions.readSessionString(phone as Phone);
    expect(sessionDc(stored)).toEqual({ dcId: 4, host: dc4.host });
    expect(dc4.keyState(stored)).toMatchObject({ known: true, loggedInAs: BigInt(userId) });
    expect(dc.keyState(stored).known).toBe(false);
    expect(
      await h.another().userbots.checkSession(phone as Phone, { deadlineMs: 8_000, actor: "check-now:tg:1" }),
    ).toMatchObject({ outcome: "healthy", account: { userId: String(userId) } });
    // Both links of the poll's client (DC 2, then DC 4) were closed by its destroy.
    await new Promise((done) => setTimeout(done, 200));
    expect(dc.stats().connectionsOpen).toBe(0);
    expect(dc4.stats().connectionsOpen).toBe(0);
  });

  it("an account with 2FA on DC 4: password-needed after the migration, and the password step runs on DC 4", async () => {
    const owner = newOwner();
    const { phone, userId } = newAccount(dc4, { password: "four", passwordHint: "which DC" });
    dc.scanLoginToken(qrOf(await h.another().qr.startQr(owner)).url, phone);

    expect(await h.another().qr.pollQr(owner)).toMatchObject({
      kind: "password-needed",
      flow: { step: "password", passwordHint: "which DC" },
    });
    const dc2Before = dc.stats().connectionsAccepted;
    const dc4Before = dc4.stats().connectionsAccepted;
    const done = await h.another().qr.submitQrPassword(owner, "four");
    expect(done).toMatchObject({ kind: "logged-in", session: { phone, status: "active" } });
    // The flow kept the key made on DC 4: the password step never went back to DC 2.
    expect(dc.stats().connectionsAccepted).toBe(dc2Before);
    expect(dc4.stats().connectionsAccepted).toBeGreaterThan(dc4Before);
    const stored = await h.sessions.readSessionString(phone as Phone);
    expect(sessionDc(stored).dcId).toBe(4);
    expect(dc4.keyState(stored)).toMatchObject({ loggedInAs: BigInt(userId) });
  });

  it("DC 4 no longer takes the migrated token: a new QR code from DC 4 (renewed), whose scan then logs in there", async () => {
    const owner = newOwner();
    const { phone, userId } = newAccount(dc4);
    const first = qrOf(await h.another().qr.startQr(owner));
    dc.scanLoginToken(first.url, phone);
    dc4.script("*", {
      method: "auth.ImportLoginToken",
      error: { code: 400, message: "AUTH_TOKEN_EXPIRED" },
      times: 1,
    });

    const renewed = qrOf(await h.another().qr.pollQr(owner));
    expect(renewed.renewed).toBe(true);
    expect(renewed.url).not.toBe(first.url);
    expect(dc4.scanLoginToken(renewed.url, phone)).toEqual({ dcId: 4, userId: BigInt(userId) });
    const dc2Before = dc.stats().connectionsAccepted;
    expect(await h.another().qr.pollQr(owner)).toMatchObject({ kind: "logged-in", session: { phone } });
    // The flow's key is DC 4's now: the last poll logged in there without going through DC 2.
    expect(dc.stats().connectionsAccepted).toBe(dc2Before);
    expect(sessionDc(await h.sessions.readSessionString(phone as Phone)).dcId).toBe(4);
  });

  it("an account whose user comes without a phone number: unavailable, saying why; nothing stored, the flow gone", async () => {
    const owner = newOwner();
    const phone = newPhone();
    dc.addAccount({ phone, userId: 739_999, firstName: "NoPhone", phoneHidden: true });
    dc.scanLoginToken(qrOf(await h.another().qr.startQr(owner)).url, phone);

    const outcome = await h.another().qr.pollQr(owner);
    expect(outcome).toMatchObject({ kind: "unavailable", message: expect.stringMatching(/phone number/) });
    expect(await h.sessions.get(phone)).toBeUndefined();
    expect(await h.another().qr.getQrFlow(owner)).toBeUndefined();
  });

  it("a phone that already has a session: the QR login replaces its session string (replaced, session.relogin)", async () => {
    const seeded = await seedDcSession(h);
    const owner = newOwner();
    dc.scanLoginToken(qrOf(await h.another().qr.startQr(owner)).url, seeded.phone);

    const done = await h.another().qr.pollQr(owner);
    expect(done).toMatchObject({ kind: "logged-in", replaced: true, session: { phone: seeded.phone } });
    const stored = await h.sessions.readSessionString(seeded.phone);
    expect(stored).not.toBe(seeded.sessionString);
    expect(dc.keyState(stored)).toMatchObject({ loggedInAs: BigInt(seeded.userId) });
    // The old key is logged out once the new one is stored, and both are in the trail.
    expect(await auditOf(seeded.phone)).toEqual([
      expect.objectContaining({ action: "session.logout", actor: owner, phone: seeded.phone }),
      expect.objectContaining({
        action: "session.relogin",
        actor: owner,
        phone: seeded.phone,
        detail: expect.stringContaining("the previous key was logged out at Telegram"),
      }),
    ]);
    expect(dc.keyState(seeded.sessionString).loggedInAs).toBeUndefined();
  });

  it("cancel → the next poll finds no flow, and the old code can no longer be scanned (its key is logged out)", async () => {
    const owner = newOwner();
    const { phone } = newAccount(dc);
    const qr = qrOf(await h.another().qr.startQr(owner));
    await h.another().qr.cancelQr(owner);
    expect(await h.another().qr.getQrFlow(owner)).toBeUndefined();
    expect(() => dc.scanLoginToken(qr.url, phone)).toThrow(/AUTH_TOKEN_INVALID/);
    expect(await h.another().qr.pollQr(owner)).toEqual({ kind: "no-flow" });
    expect(await h.sessions.get(phone as Phone)).toBeUndefined();
  });

  it("restarted while a poll waits: the old code's scan stores nothing, and the new login is left alone", async () => {
    const owner = newOwner();
    const { phone } = newAccount(dc);
    const first = qrOf(await h.another().qr.startQr(owner));
    const waiting = h.another().qr.pollQr(owner, { waitMs: 6_000 });
    await new Promise((done) => setTimeout(done, 300));
    // The admin starts over (another invocation) and the old code is scanned before the waiting poll asks again.
    const second = qrOf(await h.another().qr.startQr(owner));
    dc.scanLoginToken(first.url, phone);
    expect(await waiting).toEqual({ kind: "no-flow" });
    expect(await h.sessions.get(phone as Phone)).toBeUndefined();
    expect(await auditOf(phone as Phone)).toEqual([]);
    expect(await h.another().qr.getQrFlow(owner)).toEqual(second.flow);
  });

  it("a number stored for another Telegram account is not taken over by whoever scans: other-account, nothing changed", async () => {
    // The number changed hands: the row says account 738500, the account scanning now has the number.
    const { phone } = newAccount(dc);
    const keyOfTheOldOwner = (await seedDcSession(h)).sessionString;
    await h.sessions.create({ phone, sessionString: keyOfTheOldOwner, account: { userId: "738500" } });
    const before = await h.sessions.get(phone);
    const owner = newOwner();
    dc.scanLoginToken(qrOf(await h.another().qr.startQr(owner)).url, phone);
    expect(await h.another().qr.pollQr(owner)).toEqual({ kind: "other-account", phone });
    expect(await h.sessions.get(phone)).toEqual(before);
    expect(await h.sessions.readSessionString(phone)).toBe(keyOfTheOldOwner);
    expect(await h.another().qr.getQrFlow(owner)).toBeUndefined();
  });

  it("a poll with waitMs waits for the scan that happens meanwhile", async () => {
    const owner = newOwner();
    const { phone } = newAccount(dc);
    const qr = qrOf(await h.another().qr.startQr(owner));
    const scan = setTimeout(() => dc.scanLoginToken(qr.url, phone), 1_000);
    try {
      const { value: done, ms } = await timed(() => h.another().qr.pollQr(owner, { waitMs: 6_000 }));
      expect(done).toMatchObject({ kind: "logged-in", session: { phone } });
      expect(ms).toBeGreaterThanOrEqual(1_000);
      expect(ms).toBeLessThan(6_000);
    } finally {
      clearTimeout(scan);
    }
  });

  it("a poll that migrates to DC 4 in a child process leaves nothing running: the process exits by itself", async () => {
    const owner = newOwner();
    const { phone } = newAccount(dc4);
    dc.scanLoginToken(qrOf(await h.another().qr.startQr(owner)).url, phone);

    const run = await runChildScript<QrPollChildReport>(
      dc,
      resolve(__dirname, "../support/mtproto/child-qr-poll.ts"),
      {
        env: { ...store.env, ...loopbackDcEnv(dc), QR_OWNER: owner },
        exitWithinMs: 8_000,
      },
    );
    console.log(
      `QR migrate poll in a child: ${run.report.elapsedMs} ms, exited ${run.exitedAfterMs} ms after`,
    );
    expect(run.report).toMatchObject({ kind: "logged-in", phone });
    expect(run.exitedAfterMs).not.toBe("still running");
    expect(run.exitedAfterMs).toBeLessThan(6_000);
    expect(sessionDc(await h.sessions.readSessionString(phone as Phone)).dcId).toBe(4);
  }, 40_000);
});

describe("the QR login's logs and stored flow carry no secret", () => {
  it("token URLs, the temporary and final session strings and the passwords never reach a log line", async () => {
    const logged = dcHarness(store, dc, { logLevel: "DEBUG" });
    const owner = newOwner();
    const password = "Samarkand-qr-2026";
    const { phone } = newAccount(dc4, { password, passwordHint: "city" });
    const flows = new QrFlowStore(
      resolveDeps({
        sessions: logged.sessions,
        doc: store.doc,
        botStateTable: store.botStateTable,
        cipher: store.cipher,
        credentials: async () => ({ apiId: 1, apiHash: "x" }),
        logger: createLogger({ service: "test", level: "SILENT" }),
      }),
    );
    const urls: string[] = [];
    const temporary: string[] = [];

    const { output } = await captureOutput(async () => {
      urls.push(qrOf(await logged.another().qr.startQr(owner)).url);
      temporary.push((await flows.get(owner))!.secret.session);
      urls.push(qrOf(await logged.another().qr.pollQr(owner)).url);
      dc.scanLoginToken(urls[0]!, phone);
      expect(await logged.another().qr.pollQr(owner)).toMatchObject({ kind: "password-needed" });
      temporary.push((await flows.get(owner))!.secret.session);
      await logged.another().qr.submitQrPassword(owner, "wrong-qr-password");
      expect(await logged.another().qr.submitQrPassword(owner, password)).toMatchObject({
        kind: "logged-in",
      });
    });

    const sessionString = await logged.sessions.readSessionString(phone as Phone);
    // The key moved to DC 4 at the scan: the flow held two different temporary sessions.
    expect(temporary[0]).not.toBe(temporary[1]);
    const secrets = [
      ...urls,
      ...urls.map((u) => u.slice("tg://login?token=".length)),
      ...temporary,
      ...temporary.map((s) => s.slice(1, 60)),
      sessionString,
      sessionString.slice(1, 60),
      password,
      "wrong-qr-password",
      API_HASH,
    ];
    expect(output).toContain("QR login started");
    expect(output).toContain("Session logged in");
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});
