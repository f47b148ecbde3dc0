/**
 * A login again, or an import, over a phone that already has a session ends the old key at Telegram (issue 16), on
 * the loopback DC through the real userbot layer, GramJS's real client and DynamoDB Local: the new key is stored,
 * then the old one is logged out (a later getMe with it gets AUTH_KEY_UNREGISTERED) while the new one works; a DC
 * that cannot be reached for that logout leaves the old key in a pending replaced-key item with its ciphertext, which
 * the next cleanup with the DC back finishes; a login that fails (a wrong code, a fault at the store's write) leaves
 * the old row and key untouched and working; and a fault at each new write loses nothing and never leaves the old
 * key destroyed here while alive there without a pending item.
 */
import { describe, expect, it } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import { noMetrics } from "../../lib/jobs";
import { runCleanup } from "../../lib/jobs/cleanup";
import { createLogger } from "../../lib/log";
import type { Phone } from "../../lib/sessions";
import type { UserbotServices } from "../../lib/telegram";
import { type TestStore } from "../support/dynamo";
import { type FaultKind, type FaultyStore } from "../support/faults";
import type { ClientPool } from "../support/mtproto/clients";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { type LoopbackDc } from "../support/mtproto/loopback-dc";
import { dcForFile } from "../support/mtproto/dc-file";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;
let clients: ClientPool;
let faulty: FaultyStore;
dcForFile((f) => ({ store, dc, h, clients, faulty } = f), { faults: true });

const check = { deadlineMs: 8_000, actor: "check-now:tg:100" };

/** getMe with `sessionString` on a fresh client: the user id, or Telegram's error name. */
function getMeWith(sessionString: string): Promise<string> {
  return clients.getMe(sessionString, { destroyAll: true });
}

function spaced(code: string): string {
  return code.split("").join(" ");
}

/** A login of `phone` again, as the bot drives it: start, then the code Telegram sent. */
async function relogin(services: () => UserbotServices, phone: Phone) {
  const sent = await services().login.startLogin(phone, "tg:100");
  expect(sent).toMatchObject({ kind: "code-sent", flow: { replacesExisting: true } });
  const code = dc.sentCodes(phone).at(-1)!;
  return { code, done: await services().login.submitCode(phone, spaced(code)) };
}

async function pendingReplacedKeys(phone: Phone) {
  return (await h.sessions.listPendingReplacedKeys({ phone, limit: 100 })).items;
}

async function auditOf(phone: Phone): Promise<string[]> {
  const day = new Date().toISOString().slice(0, 10);
  const entries = await new AuditLog(store.doc, store.botStateTable).day(day);
  return entries.filter((e) => e.phone === phone).map((e) => `${e.action}: ${e.detail ?? ""}`);
}

function cleanupNow(userbots = h.services.userbots) {
  return runCleanup(
    {
      sessions: h.sessions,
      audit: new AuditLog(store.doc, store.botStateTable),
      userbots,
      logger: createLogger({ service: "relogin-test", level: "SILENT" }),
      metrics: noMetrics,
      now: () => new Date(),
    },
    { onlyPendingLogouts: true, actor: "schedule:cleanup", deadlineMs: 8_000 },
  );
}

describe("a login again over a stored phone", () => {
  it("stores the new key, then logs the old one out at Telegram: getMe with the old key gets AUTH_KEY_UNREGISTERED, the new key works", async () => {
    const ali = await seedDcSession(h);

    const { done } = await relogin(() => h.another(), ali.phone);

    expect(done).toMatchObject({
      kind: "logged-in",
      replaced: true,
      previousKey: { outcome: "logged-out" },
      session: { phone: ali.phone, status: "active" },
    });
    const stored = await h.sessions.readSessionString(ali.phone);
    expect(stored).not.toBe(ali.sessionString);
    expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    expect(await getMeWith(stored)).toBe(String(ali.userId));
    expect(await h.another().userbots.checkSession(ali.phone, check)).toMatchObject({ outcome: "healthy" });
    // Settled: the old key's item and its ciphertext are gone; the audit says how the old key ended.
    expect(await pendingReplacedKeys(ali.phone)).toEqual([]);
    const audit = await auditOf(ali.phone);
    expect(audit).toContain(
      `session.logout: replaced ${audit.join().match(/replaced (\S+):/)?.[1]}: the previous key was logged out at Telegram and destroyed`,
    );
    expect(audit.find((e) => e.startsWith("session.relogin"))).toContain(
      "the previous key was logged out at Telegram",
    );
  });

  it("a wrong code changes nothing: the old row and key stay, and the old key still works", async () => {
    const ali = await seedDcSession(h);
    const before = await h.sessions.require(ali.phone);
    await h.another().login.startLogin(ali.phone, "tg:100");

    const wrong = await h.another().login.submitCode(ali.phone, "1 2 3 4 9");

    expect(wrong).toMatchObject({ kind: "wrong-code" });
    expect(await h.sessions.require(ali.phone)).toMatchObject({ version: before.version, status: "active" });
    expect(await h.sessions.readSessionString(ali.phone)).toBe(ali.sessionString);
    expect(await getMeWith(ali.sessionString)).toBe(String(ali.userId));
    expect(await pendingReplacedKeys(ali.phone)).toEqual([]);
    await h.another().login.cancel(ali.phone);
  });
});

describe("an import over a stored phone", () => {
  it("logs the old key out once the imported one is stored", async () => {
    const ali = await seedDcSession(h);
    const { sessionString: imported } = dc.issueSession(ali.phone);

    const result = await h.another().userbots.importSession(ali.phone, imported, "cli:ops");

    expect(result).toMatchObject({ replaced: true, previousKey: { outcome: "logged-out" } });
    // Stored as its own key (written with Telegram's address for its DC, so compared at the DC, not as text).
    expect(await h.sessions.readSessionString(ali.phone)).not.toBe(ali.sessionString);
    expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    expect(await getMeWith(imported)).toBe(String(ali.userId));
    expect((await auditOf(ali.phone)).find((e) => e.startsWith("session.imported"))).toContain(
      "replacing the old one; the previous key was logged out at Telegram",
    );
  });

  it("the stored key imported again (another address in the string, the same key) is no replacement: it is not logged out", async () => {
    const ali = await seedDcSession(h);

    const result = await h.another().userbots.importSession(ali.phone, ali.sessionString, "cli:ops");

    expect(result.previousKey).toBeUndefined();
    expect(await getMeWith(ali.sessionString)).toBe(String(ali.userId));
  });
});

describe("the old key's logout while the DC cannot be reached", () => {
  it("keeps the old key in a pending item with its ciphertext; the next cleanup with the DC back logs it out", async () => {
    const ali = await seedDcSession(h);
    dc.script(ali.phone, { method: "auth.LogOut", error: { code: 420, message: "FLOOD_WAIT_30" }, times: 1 });

    const { done } = await relogin(() => h.another(), ali.phone);

    expect(done).toMatchObject({ kind: "logged-in", replaced: true, previousKey: { outcome: "pending" } });
    const retryUntil =
      done.kind === "logged-in" && done.previousKey?.outcome === "pending" ? done.previousKey.retryUntil : "";
    expect(Date.parse(retryUntil) - Date.now()).toBeGreaterThan(7 * 86_400_000 - 60_000);
    // Alive there, so kept here: the item holds the old key, bound to its phone.
    expect(await getMeWith(ali.sessionString)).toBe(String(ali.userId));
    const [pending] = await pendingReplacedKeys(ali.phone);
    expect(pending).toMatchObject({ phone: ali.phone, revocation: { state: "pending", attempts: 1 } });
    expect(await h.sessions.readReplacedKeyString(pending!)).toBe(ali.sessionString);
    // Not a session: lists and counts do not see it.
    expect((await h.sessions.listByStatus("active", { limit: 100 })).items.map((s) => s.phone)).not.toContain(
      pending!.id,
    );

    const result = await cleanupNow(h.another().userbots);

    expect(result.logouts).toContainEqual({ phone: ali.phone, previousKey: true, state: "logged-out" });
    expect(await pendingReplacedKeys(ali.phone)).toEqual([]);
    expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    expect(await h.another().userbots.checkSession(ali.phone, check)).toMatchObject({ outcome: "healthy" });
  });

  it("past its give-up date, the cleanup destroys it anyway and the audit says the logout was never confirmed", async () => {
    const ali = await seedDcSession(h);
    dc.script(ali.phone, { method: "auth.LogOut", error: { code: 420, message: "FLOOD_WAIT_30" }, times: 2 });
    await relogin(() => h.another(), ali.phone);
    const later = new Date(Date.now() + 8 * 86_400_000);
    const sessions = store.sessions({ now: () => later });
    const lateUserbots = h.another({ sessions, now: () => later }).userbots;

    const result = await runCleanup(
      {
        sessions,
        audit: new AuditLog(store.doc, store.botStateTable, () => later),
        userbots: lateUserbots,
        logger: createLogger({ service: "relogin-test", level: "SILENT" }),
        metrics: noMetrics,
        now: () => later,
      },
      { onlyPendingLogouts: true, deadlineMs: 8_000 },
    );

    expect(result.logouts).toContainEqual({ phone: ali.phone, previousKey: true, state: "unconfirmed" });
    expect(await pendingReplacedKeys(ali.phone)).toEqual([]);
    const log = new AuditLog(store.doc, store.botStateTable);
    const entries = [
      ...(await log.day(new Date().toISOString().slice(0, 10))),
      ...(await log.day(later.toISOString().slice(0, 10))),
    ];
    const logouts = entries.filter((e) => e.phone === ali.phone && e.action === "session.logout");
    expect(logouts.map((e) => e.detail)).toEqual([
      expect.stringContaining("the previous key could not be logged out at Telegram (FLOOD_WAIT"),
      expect.stringContaining("the previous key's logout was never confirmed after 2 attempts"),
    ]);
  });
});

describe("faults at the new writes of a login again", () => {
  /** The writes of the code step: claim, mark, the store (new key + old key's item), the logout's record, the end. */
  async function reloginWithFault(n: number, kind: FaultKind, afterLanding = false) {
    const f = dcHarness(store, dc, {
      sessions: faulty.sessions(),
      doc: faulty.doc,
      audit: new AuditLog(faulty.doc, store.botStateTable),
    });
    const ali = await seedDcSession(h);
    await f.another().login.startLogin(ali.phone, "tg:100");
    const code = dc.sentCodes(ali.phone).at(-1)!;
    faulty.reset();
    faulty.failWrite(n, kind, { afterLanding });
    const first = await f.another().login.submitCode(ali.phone, spaced(code));
    expect(faulty.writes[n - 1]?.faulted).toBe(kind);
    return { f, ali, code, first, target: faulty.writes[n - 1]!.target };
  }

  /** Nothing lost: the row holds a working key, and the old key is dead there or kept in a pending item. */
  async function nothingLost(ali: { phone: Phone; sessionString: string; userId: number }) {
    const stored = await h.sessions.readSessionString(ali.phone);
    expect(await getMeWith(stored)).toBe(String(ali.userId));
    if (stored === ali.sessionString) return;
    const oldAlive = (await getMeWith(ali.sessionString)) === String(ali.userId);
    const pending = await pendingReplacedKeys(ali.phone);
    if (oldAlive) expect(pending, "an old key alive at Telegram is kept in a pending item").toHaveLength(1);
    // The old key's item counted while it is pending, and only then.
    expect((await h.sessions.recountFleet()).drift, "fleet counter").toEqual({});
  }

  for (const kind of ["throttle", "condition"] as const) {
    it(`a ${kind} at the store's write (new key + old key's item, one transaction): nothing changed; the step again finishes and logs the old key out`, async () => {
      const { f, ali, code, first, target } = await reloginWithFault(3, kind);
      // The row, the fleet counter (the old key's item counted as a pending logout) and the item.
      expect(target).toBe("transaction of 3");

      expect(first).toMatchObject({ kind: "unavailable" });
      expect(await h.sessions.readSessionString(ali.phone)).toBe(ali.sessionString);
      expect(await getMeWith(ali.sessionString)).toBe(String(ali.userId));
      expect(await pendingReplacedKeys(ali.phone)).toEqual([]);

      const again = await f.another().login.submitCode(ali.phone, spaced(code));

      expect(again).toMatchObject({
        kind: "logged-in",
        replaced: true,
        previousKey: { outcome: "logged-out" },
      });
      expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
      await nothingLost(ali);
    });
  }

  it("the store's write lands but its answer is lost: read back as stored, and the old key found and logged out", async () => {
    const { ali, first } = await reloginWithFault(3, "throttle", true);

    expect(first).toMatchObject({
      kind: "logged-in",
      replaced: true,
      previousKey: { outcome: "logged-out" },
    });
    expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    expect(await pendingReplacedKeys(ali.phone)).toEqual([]);
    await nothingLost(ali);
  });

  it("a throttle at the logout's record: the old key is dead there, its item still pending; the cleanup settles it", async () => {
    const { ali, first, target } = await reloginWithFault(4, "throttle");
    // The item deleted (its logout confirmed), the fleet counter and the audit entry.
    expect(target).toBe("transaction of 3");

    expect(first).toMatchObject({ kind: "logged-in", replaced: true, previousKey: { outcome: "pending" } });
    expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    expect(await pendingReplacedKeys(ali.phone)).toHaveLength(1);
    await nothingLost(ali);

    const result = await cleanupNow();

    expect(result.logouts).toContainEqual({ phone: ali.phone, previousKey: true, state: "already-dead" });
    expect(await pendingReplacedKeys(ali.phone)).toEqual([]);
  });

  it("a throttle at the flow's end (after the old key's logout): the step again finishes, the old key is not touched twice", async () => {
    const { f, ali, code, first } = await reloginWithFault(5, "throttle");

    expect(first).toMatchObject({ kind: "unavailable" });
    expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    const again = await f.another().login.submitCode(ali.phone, spaced(code));

    expect(again).toMatchObject({ kind: "logged-in", replaced: true });
    expect(await pendingReplacedKeys(ali.phone)).toEqual([]);
    await nothingLost(ali);
  });
});
