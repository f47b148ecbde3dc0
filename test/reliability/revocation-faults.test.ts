/**
 * DynamoDB faults at every write of a revocation (issue 16), on DynamoDB Local with a wrapped client
 * (test/support/faults.ts) and the loopback DC (GramJS's real client on its real transport):
 *   (a) a delete (lib/telegram's deleteSession, the path the bot's 🗑️ Delete and `sessions remove` share), with the
 *       DC reachable and with its auth.logOut refused by a flood wait (the delete leaves a pending tombstone);
 *   (b) the cleanup's retry of a pending tombstone, the DC reachable;
 *   (c) the cleanup's give-up of a pending tombstone past its give-up date, the DC still refusing the logout;
 *   (d) the same retry (the cleanup's, which `sessions revoke-pending` runs too) and give-up of a replaced key (the old
 *       key of a phone logged in again or imported over, kept in its own `REPLACED#` item while its logout is pending).
 * Each path is first run clean to count its writes; then once per write and fault (throttling after the SDK's
 * retries, a write that lands but whose answer is lost, a conditional-check failure where the write has a
 * condition), and run once more as the operator (the delete again, on the version now shown) or the next cleanup
 * would. After the fault, and after the re-run:
 *   - nothing lost: the row is still there, and a key that still answers at the DC still has its ciphertext here
 *     (the live row, or a `deleted` tombstone whose logout is pending): never destroyed here while alive there;
 *   - finally every key is logged out at the DC (a getMe with it gets AUTH_KEY_UNREGISTERED) or still held (a pending
 *     tombstone); only (c) destroys a live key's ciphertext, as designed, and then the row says `unconfirmed` and the
 *     audit says the logout was never confirmed, exactly once;
 *   - every outcome is audited exactly once, and the fleet counter (COUNTS#fleet) agrees with a recount.
 * The captured log lines of all runs are scanned for the session strings used.
 */
import { describe, expect, it, vi, type TestContext } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import { runCleanup } from "../../lib/jobs/cleanup";
import { noMetrics } from "../../lib/jobs";
import { createLogger } from "../../lib/log";
import type { Phone } from "../../lib/sessions";
import { LeaseHeldError } from "../../lib/sessions/errors";
import { isRevocationPending } from "../../lib/sessions/revocation";
import { type TestStore } from "../support/dynamo";
import { faultsFor, type FaultKind, type FaultyStore } from "../support/faults";
import type { ClientPool } from "../support/mtproto/clients";
import { seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { type LoopbackDc } from "../support/mtproto/loopback-dc";
import { counters, type ReliabilityCounts } from "../support/reliability-counters";
import { scanLogs } from "../support/reliability-logs";
import { dcForFile } from "../support/mtproto/dc-file";

process.env.LOG_LEVEL = "DEBUG";
vi.setConfig({ testTimeout: 240_000 });

let store: TestStore;
let faulty: FaultyStore;
let dc: LoopbackDc;
let h: DcHarness;
let clients: ClientPool;
dcForFile((f) => ({ store, dc, h, clients, faulty } = f), { faults: true, logLevel: "DEBUG" });

const UNREACHABLE = { method: "auth.LogOut", error: { code: 420, message: "FLOOD_WAIT_60" } } as const;

/** A settable clock for the code under test (leases, audit days, give-up dates). */
function clockAt(start: number) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

/** One planned fault: at the nth write of the path, of that kind, its answer lost after it landed or not. */
interface Planned {
  readonly n: number;
  readonly kind?: FaultKind;
  readonly afterLanding?: boolean;
}

/** Every fault worth injecting at each write the clean run made. */
function planFrom(): Planned[] {
  const plan: Planned[] = [];
  faulty.writes.forEach((w, i) => {
    for (const kind of faultsFor(w)) plan.push({ n: i + 1, kind });
    plan.push({ n: i + 1, kind: "throttle", afterLanding: true });
  });
  return plan;
}

function labelOf(p: Planned, command?: string): string {
  return p.kind
    ? `write ${p.n} (${command ?? "?"}) ${p.kind}${p.afterLanding ? " after landing" : ""}`
    : "clean";
}

/** What a later getMe with the key gets at the DC: the user's id, or Telegram's error. */
function getMeWith(sessionString: string): Promise<string> {
  return clients.getMe(sessionString, { destroyAll: true });
}

/**
 * The invariant, read through the clean client: the row exists; a key still logged in at the DC still has its
 * ciphertext here (live row, or pending tombstone), unless `givenUp` allows the documented give-up. Violations count
 * as items lost.
 */
async function holdsOrDead(
  c: ReliabilityCounts,
  phone: Phone,
  secret: string,
  label: string,
  options: { givenUp?: boolean } = {},
): Promise<void> {
  const row = await store.sessions().get(phone);
  const alive = dc.keyState(secret).loggedInAs !== undefined;
  const held =
    row?.hasSecret === true &&
    (await store
      .sessions()
      .readSessionString(phone)
      .catch(() => undefined)) === secret &&
    (row.status !== "deleted" || isRevocationPending(row.revocation));
  const allowed = options.givenUp && row?.status === "deleted" && row.revocation?.state === "unconfirmed";
  const ok = row !== undefined && (!alive || held || allowed === true);
  if (!ok) c.itemsLost++;
  expect(
    ok,
    `${label}: ${phone} exists ${row !== undefined}, alive at the DC ${alive}, ciphertext held ${held} ` +
      `(status ${row?.status}, revocation ${row?.revocation?.state})`,
  ).toBe(true);
}

async function auditOf(phone: Phone, day: string, action: string): Promise<string[]> {
  const entries = await new AuditLog(store.doc, store.botStateTable).day(day);
  return entries.filter((e) => e.phone === phone && e.action === action).map((e) => e.detail ?? "");
}

/**
 * The skeleton every scenario here shares: the path run clean first to count its writes, then once per write and
 * fault (`planFrom`), each on a fresh `seed`. `act` is the path; `settle` checks the state after the fault, runs the
 * path again as the operator or the next cleanup would, and checks the outcome. After each, the fleet counter must
 * equal a recount. The log lines of all runs are scanned for the secrets `seed` returned.
 */
async function faultEachWrite<T extends { readonly clock: ReturnType<typeof clockAt> }>(
  ctx: TestContext,
  scenario: {
    /** Writes the clean run makes at least. */
    readonly minWrites: number;
    seed(secrets: string[]): Promise<T>;
    act(t: T): Promise<unknown>;
    settle(t: T, label: string, c: ReliabilityCounts): Promise<void>;
  },
): Promise<void> {
  const c = counters(ctx);
  const secrets: string[] = [];
  await scanLogs(
    c,
    () => secrets,
    async () => {
      const plan: Planned[] = [{ n: 0 }];
      for (let i = 0; i < plan.length; i++) {
        const p = plan[i]!;
        const t = await scenario.seed(secrets);
        faulty.reset();
        if (p.kind) faulty.failWrite(p.n, p.kind, p.afterLanding ? { afterLanding: true } : {});
        const before = faulty.faultsInjected;
        let failed: unknown;
        await scenario.act(t).catch((err: unknown) => (failed = err));
        const label = labelOf(p, faulty.writes[p.n - 1]?.command);
        if (!p.kind) {
          expect(failed, label).toBeUndefined();
          expect(faulty.writes.length, label).toBeGreaterThanOrEqual(scenario.minWrites);
          plan.push(...planFrom());
        } else {
          expect(faulty.faultsInjected - before, label).toBe(1);
          c.faults++;
        }
        await scenario.settle(t, label, c);
        // The fleet counter moved with every write that landed, and only with those.
        expect(
          (await store.sessions({ now: t.clock.now }).recountFleet()).drift,
          `${label}: fleet counter`,
        ).toEqual({});
        c.inputs++;
      }
    },
  );
}

/** The code under test, on the faulty client, with its own clock. */
function faultyDeps(clock: ReturnType<typeof clockAt>) {
  const sessions = faulty.sessions({ now: clock.now });
  const audit = new AuditLog(faulty.doc, store.botStateTable, clock.now);
  const services = h.another({ sessions, audit, doc: faulty.doc, now: clock.now });
  return {
    services,
    cleanup: {
      sessions,
      audit,
      userbots: services.userbots,
      logger: createLogger({ service: "rel-revocation-cleanup", level: "DEBUG" }),
      metrics: noMetrics,
      now: clock.now,
    },
  };
}

/**
 * The next cleanup(s) as the schedule runs them, until `settled`: a failed run is retried, a busy lease waited out.
 */
async function cleanupUntil(
  deps: ReturnType<typeof faultyDeps>["cleanup"],
  clock: ReturnType<typeof clockAt>,
  settled: () => Promise<boolean>,
): Promise<void> {
  for (let run = 0; run < 4; run++) {
    try {
      await runCleanup(deps, { onlyPendingLogouts: true, actor: "schedule:cleanup" });
    } catch {
      // the schedule's retry
    }
    if (await settled()) return;
    clock.advance(15 * 60_000);
  }
}

/** The next cleanup(s) until the phone's tombstone is no longer pending. */
function cleanupUntilSettled(
  deps: ReturnType<typeof faultyDeps>["cleanup"],
  clock: ReturnType<typeof clockAt>,
  phone: Phone,
): Promise<void> {
  return cleanupUntil(
    deps,
    clock,
    async () => !isRevocationPending((await store.sessions().get(phone))?.revocation),
  );
}

// ------------------------------------------------------------------ (a) a delete

describe.each([
  { mode: "reachable", reachable: true },
  { mode: "refusing the logout (flood wait)", reachable: false },
])("faults at each write of a delete, the DC $mode", ({ reachable }) => {
  it("loses nothing, never destroys a live key's ciphertext, and every key ends logged out or held", async (ctx) => {
    await faultEachWrite(ctx, {
      // The lease, the tombstone with its audit entry (one transaction), the lease given back.
      minWrites: 2,
      async seed(secrets) {
        const acc = await seedDcSession(h);
        secrets.push(acc.sessionString);
        if (!reachable) dc.script(acc.phone, UNREACHABLE);
        const clock = clockAt(Date.now());
        const deps = faultyDeps(clock);
        const deleteOnce = async () => {
          const row = await store.sessions().require(acc.phone);
          return deps.services.userbots.deleteSession(acc.phone, {
            deadlineMs: 20_000,
            actor: "delete:tg:1001",
            expectedVersion: row.version,
            audit: { action: "session.deleted", actor: "tg:1001", detail: `was ${row.status}` },
          });
        };
        return { acc, clock, day: clock.now().toISOString().slice(0, 10), cleanup: deps.cleanup, deleteOnce };
      },
      act: (t) => t.deleteOnce(),
      async settle({ acc, clock, day, cleanup, deleteOnce }, label, c) {
        await holdsOrDead(c, acc.phone, acc.sessionString, `${label}, after the fault`);

        // The operator deletes again (the card shows the session still there), waiting out a lease left held.
        for (let again = 0; again < 3; again++) {
          const row = await store.sessions().get(acc.phone);
          if (row?.status === "deleted") break;
          try {
            await deleteOnce();
          } catch (err) {
            if (!(err instanceof LeaseHeldError)) throw err;
            clock.advance(15 * 60_000);
          }
        }
        await holdsOrDead(c, acc.phone, acc.sessionString, `${label}, after the delete again`);
        const row = await store.sessions().get(acc.phone);
        expect(row?.status, label).toBe("deleted");
        expect(await auditOf(acc.phone, day, "session.deleted"), label).toHaveLength(1);
        if (reachable) {
          expect(row?.revocation?.state, label).toMatch(/^(logged-out|already-dead)$/);
          expect(row?.hasSecret, label).toBe(false);
        } else {
          // Still held: the tombstone keeps the ciphertext while the logout is pending; the key is alive there.
          expect(row, label).toMatchObject({ hasSecret: true, revocation: { state: "pending" } });
          expect(dc.keyState(acc.sessionString).loggedInAs, label).toBe(BigInt(acc.userId));
          // The DC back: the next cleanup finishes it.
          dc.clearScripts(acc.phone);
          await cleanupUntilSettled(cleanup, clock, acc.phone);
          expect(await store.sessions().get(acc.phone), label).toMatchObject({
            hasSecret: false,
            revocation: { state: "logged-out" },
          });
        }
        expect(await getMeWith(acc.sessionString), `${label}: the old key at the DC`).toBe(
          "AUTH_KEY_UNREGISTERED",
        );
      },
    });
  });
});

// ------------------------------------------------------------------ (b) the cleanup's retry, (c) its give-up

describe.each([
  { part: "the cleanup's retry of a pending tombstone (the DC back)", givingUp: false },
  { part: "the cleanup's give-up past the limit (the DC still refusing)", givingUp: true },
])("faults at each write of $part", ({ givingUp }) => {
  it("loses nothing; the ciphertext goes only with a confirmed logout or an audited give-up", async (ctx) => {
    await faultEachWrite(ctx, {
      minWrites: 2,
      async seed(secrets) {
        const acc = await seedDcSession(h);
        secrets.push(acc.sessionString);
        // Deleted while Telegram could not be reached: a pending tombstone, eight days ago when giving up.
        const deletedAt = givingUp ? Date.now() - 8 * 86_400_000 : Date.now() - 3_600_000;
        await store
          .sessions({ now: () => new Date(deletedAt) })
          .deleteWithRevocation(acc.phone, { notConfirmed: "TIMEOUT: Telegram did not answer" });
        if (givingUp) dc.script(acc.phone, UNREACHABLE);
        const clock = clockAt(Date.now());
        return {
          acc,
          clock,
          day: clock.now().toISOString().slice(0, 10),
          cleanup: faultyDeps(clock).cleanup,
        };
      },
      act: (t) => runCleanup(t.cleanup, { onlyPendingLogouts: true, actor: "schedule:cleanup" }),
      async settle({ acc, clock, day, cleanup }, label, c) {
        await holdsOrDead(c, acc.phone, acc.sessionString, `${label}, after the fault`, {
          givenUp: givingUp,
        });

        // The next cleanup.
        await cleanupUntilSettled(cleanup, clock, acc.phone);
        await holdsOrDead(c, acc.phone, acc.sessionString, `${label}, after the next cleanup`, {
          givenUp: givingUp,
        });
        const row = await store.sessions().get(acc.phone);
        const logouts = await auditOf(acc.phone, day, "session.logout");
        expect(logouts, label).toHaveLength(1);
        if (givingUp) {
          expect(row, label).toMatchObject({
            status: "deleted",
            hasSecret: false,
            revocation: { state: "unconfirmed" },
          });
          expect(logouts[0], label).toMatch(/^logout never confirmed after \d+ attempts .*destroyed anyway$/);
          // The documented give-up: the key may still work there, and the audit says so.
          expect(dc.keyState(acc.sessionString).loggedInAs, label).toBe(BigInt(acc.userId));
        } else {
          expect(row, label).toMatchObject({ status: "deleted", hasSecret: false });
          expect(row?.revocation?.state, label).toMatch(/^(logged-out|already-dead)$/);
          expect(await getMeWith(acc.sessionString), `${label}: the old key at the DC`).toBe(
            "AUTH_KEY_UNREGISTERED",
          );
        }
      },
    });
  });
});

// ------------------------------------------------------------------ (d) a replaced key's retry and give-up

/** The pending replaced keys of one phone (the old keys of its logins again), as the clean client reads them. */
async function replacedKeysOf(phone: Phone) {
  return (await store.sessions().listPendingReplacedKeys({ phone, limit: 100 })).items;
}

/**
 * The invariant for a replaced key: the phone's session still holds its new key, and an old key still logged in at
 * the DC is still held here (its pending item opens to it), unless `givenUp` allows the documented give-up.
 */
async function replacedHeldOrDead(
  c: ReliabilityCounts,
  acc: { readonly phone: Phone; readonly sessionString: string },
  newKey: string,
  label: string,
  options: { givenUp?: boolean } = {},
): Promise<void> {
  const sessionHoldsNewKey =
    (await store
      .sessions()
      .readSessionString(acc.phone)
      .catch(() => undefined)) === newKey;
  const alive = dc.keyState(acc.sessionString).loggedInAs !== undefined;
  const items = await replacedKeysOf(acc.phone);
  const held =
    items.length === 1 &&
    (await store
      .sessions()
      .readReplacedKeyString(items[0]!)
      .catch(() => undefined)) === acc.sessionString;
  const ok = sessionHoldsNewKey && (!alive || held || options.givenUp === true);
  if (!ok) c.itemsLost++;
  expect(
    ok,
    `${label}: ${acc.phone} holds its new key ${sessionHoldsNewKey}, old key alive at the DC ${alive}, ` +
      `old key held ${held} (${items.length} pending items)`,
  ).toBe(true);
}

/** The next cleanup(s) until the phone has no pending replaced key. */
function cleanupUntilNoReplacedKey(
  deps: ReturnType<typeof faultyDeps>["cleanup"],
  clock: ReturnType<typeof clockAt>,
  phone: Phone,
): Promise<void> {
  return cleanupUntil(deps, clock, async () => (await replacedKeysOf(phone)).length === 0);
}

describe.each([
  { part: "the retry of a replaced key (the DC reachable)", givingUp: false },
  { part: "the give-up of a replaced key past the limit (the DC refusing)", givingUp: true },
])("faults at each write of $part", ({ givingUp }) => {
  it("loses nothing; the old key's ciphertext goes only with a confirmed logout or an audited give-up", async (ctx) => {
    await faultEachWrite(ctx, {
      // The logout's record: the item settled (deleted) with the counter and the audit entry, one transaction.
      minWrites: 1,
      async seed(secrets) {
        const acc = await seedDcSession(h);
        // Logged in again while Telegram could not be reached for the old key's logout (eight days ago when
        // giving up): the new key stored, the old one kept in a pending item, counted.
        const newKey = dc.issueSession(acc.phone).sessionString;
        secrets.push(acc.sessionString, newKey);
        const replacedAt = givingUp ? Date.now() - 8 * 86_400_000 : Date.now() - 3_600_000;
        const { replacedKey } = await store
          .sessions({ now: () => new Date(replacedAt) })
          .replaceKey(
            acc.phone,
            newKey,
            { userId: String(acc.userId) },
            undefined,
            await store.sessions().require(acc.phone),
          );
        expect(replacedKey).toMatchObject({ phone: acc.phone, revocation: { state: "pending" } });
        if (givingUp) dc.script(acc.phone, UNREACHABLE);
        const clock = clockAt(Date.now());
        return {
          acc,
          newKey,
          clock,
          day: clock.now().toISOString().slice(0, 10),
          cleanup: faultyDeps(clock).cleanup,
        };
      },
      act: (t) => runCleanup(t.cleanup, { onlyPendingLogouts: true, actor: "schedule:cleanup" }),
      async settle({ acc, newKey, clock, day, cleanup }, label, c) {
        await replacedHeldOrDead(c, acc, newKey, `${label}, after the fault`, { givenUp: givingUp });

        // The next cleanup.
        await cleanupUntilNoReplacedKey(cleanup, clock, acc.phone);
        await replacedHeldOrDead(c, acc, newKey, `${label}, after the next cleanup`, { givenUp: givingUp });
        expect(await replacedKeysOf(acc.phone), label).toEqual([]);
        const logouts = await auditOf(acc.phone, day, "session.logout");
        expect(logouts, label).toHaveLength(1);
        if (givingUp) {
          expect(logouts[0], label).toMatch(/^replaced .*logout was never confirmed after \d+ attempts/);
          // The documented give-up: the old key may still work there, and the audit says so.
          expect(dc.keyState(acc.sessionString).loggedInAs, label).toBe(BigInt(acc.userId));
        } else {
          expect(logouts[0], label).toMatch(/^replaced /);
          expect(await getMeWith(acc.sessionString), `${label}: the old key at the DC`).toBe(
            "AUTH_KEY_UNREGISTERED",
          );
        }
        // The session itself is untouched: its new key still works.
        expect(await getMeWith(newKey), `${label}: the new key at the DC`).toBe(String(acc.userId));
        expect(await store.sessions().require(acc.phone), label).toMatchObject({ status: "active" });
      },
    });
  });
});
