/**
 * DynamoDB faults at every write of a revocation (issue 16), on DynamoDB Local with a wrapped client
 * (test/support/faults.ts) and the loopback DC (GramJS's real client on its real transport):
 *   (a) a delete (lib/telegram's deleteSession, the path the bot's 🗑️ Delete and `sessions remove` share), with the
 *       DC reachable and with its auth.logOut refused by a flood wait (the delete leaves a pending tombstone);
 *   (b) the cleanup's retry of a pending tombstone, the DC reachable;
 *   (c) the cleanup's give-up of a pending tombstone past its give-up date, the DC still refusing the logout.
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
import { Api } from "telegram";
import { RPCError } from "telegram/errors";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import { runCleanup } from "../../lib/jobs/cleanup";
import { noMetrics } from "../../lib/jobs";
import { createLogger } from "../../lib/log";
import type { Phone } from "../../lib/sessions";
import { LeaseHeldError } from "../../lib/sessions/errors";
import { isRevocationPending } from "../../lib/sessions/revocation";
import { createTestStore, type TestStore } from "../support/dynamo";
import { faultsFor, faultyStore, type FaultKind, type FaultyStore } from "../support/faults";
import { ClientPool } from "../support/mtproto/clients";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";
import { counters, type ReliabilityCounts } from "../support/reliability-counters";
import { scanLogs } from "../support/reliability-logs";

process.env.LOG_LEVEL = "DEBUG";
vi.setConfig({ testTimeout: 240_000 });

let store: TestStore;
let faulty: FaultyStore;
let dc: LoopbackDc;
let h: DcHarness;
let clients: ClientPool;
beforeAll(async () => {
  [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
  faulty = faultyStore(store);
  h = dcHarness(store, dc, { logLevel: "DEBUG" });
  clients = new ClientPool(dc);
});
afterEach(async () => {
  await clients.destroyAll();
  dc.clearScripts();
});
afterAll(async () => {
  faulty?.destroy();
  await dc?.stop();
});

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
async function getMeWith(sessionString: string): Promise<string> {
  const client = await clients.connected(sessionString);
  try {
    const [me] = await client.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }));
    return me instanceof Api.User ? me.id.toString() : "no user";
  } catch (err) {
    if (err instanceof RPCError) return err.errorMessage;
    throw err;
  } finally {
    await clients.destroyAll();
  }
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

/** The next cleanup(s) as the schedule runs them: a failed run is retried, a busy lease waited out. */
async function cleanupUntilSettled(
  deps: ReturnType<typeof faultyDeps>["cleanup"],
  clock: ReturnType<typeof clockAt>,
  phone: Phone,
): Promise<void> {
  for (let run = 0; run < 4; run++) {
    try {
      await runCleanup(deps, { onlyPendingLogouts: true, actor: "schedule:cleanup" });
    } catch {
      // the schedule's retry
    }
    const row = await store.sessions().get(phone);
    if (!isRevocationPending(row?.revocation)) return;
    clock.advance(15 * 60_000);
  }
}

// ------------------------------------------------------------------ (a) a delete

describe.each([
  { mode: "reachable", reachable: true },
  { mode: "refusing the logout (flood wait)", reachable: false },
])("faults at each write of a delete, the DC $mode", ({ reachable }) => {
  it("loses nothing, never destroys a live key's ciphertext, and every key ends logged out or held", async (ctx) => {
    const c = counters(ctx);
    const secrets: string[] = [];
    await scanLogs(
      c,
      () => secrets,
      async () => {
        const plan: Planned[] = [{ n: 0 }];
        for (let i = 0; i < plan.length; i++) {
          const p = plan[i]!;
          const acc = await seedDcSession(h);
          secrets.push(acc.sessionString);
          if (!reachable) dc.script(acc.phone, UNREACHABLE);
          const clock = clockAt(Date.now());
          const day = clock.now().toISOString().slice(0, 10);
          const { services, cleanup } = faultyDeps(clock);
          const deleteOnce = async () => {
            const row = await store.sessions().require(acc.phone);
            return services.userbots.deleteSession(acc.phone, {
              deadlineMs: 20_000,
              actor: "delete:tg:1001",
              expectedVersion: row.version,
              audit: { action: "session.deleted", actor: "tg:1001", detail: `was ${row.status}` },
            });
          };
          faulty.reset();
          if (p.kind) faulty.failWrite(p.n, p.kind, p.afterLanding ? { afterLanding: true } : {});
          const before = faulty.faultsInjected;
          let failed: unknown;
          await deleteOnce().catch((err: unknown) => (failed = err));
          const label = labelOf(p, faulty.writes[p.n - 1]?.command);
          if (!p.kind) {
            expect(failed, label).toBeUndefined();
            // The lease, the tombstone with its audit entry (one transaction), the lease given back.
            expect(faulty.writes.length, label).toBeGreaterThanOrEqual(2);
            plan.push(...planFrom());
          } else {
            expect(faulty.faultsInjected - before, label).toBe(1);
            c.faults++;
          }
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
          // The fleet counter moved with every write that landed, and only with those.
          expect(
            (await store.sessions({ now: clock.now }).recountFleet()).drift,
            `${label}: fleet counter`,
          ).toEqual({});
          c.inputs++;
        }
      },
    );
  });
});

// ------------------------------------------------------------------ (b) the cleanup's retry, (c) its give-up

describe.each([
  { part: "the cleanup's retry of a pending tombstone (the DC back)", givingUp: false },
  { part: "the cleanup's give-up past the limit (the DC still refusing)", givingUp: true },
])("faults at each write of $part", ({ givingUp }) => {
  it("loses nothing; the ciphertext goes only with a confirmed logout or an audited give-up", async (ctx) => {
    const c = counters(ctx);
    const secrets: string[] = [];
    await scanLogs(
      c,
      () => secrets,
      async () => {
        const plan: Planned[] = [{ n: 0 }];
        for (let i = 0; i < plan.length; i++) {
          const p = plan[i]!;
          const acc = await seedDcSession(h);
          secrets.push(acc.sessionString);
          // Deleted while Telegram could not be reached: a pending tombstone, eight days ago when giving up.
          const deletedAt = givingUp ? Date.now() - 8 * 86_400_000 : Date.now() - 3_600_000;
          await store
            .sessions({ now: () => new Date(deletedAt) })
            .deleteWithRevocation(acc.phone, { notConfirmed: "TIMEOUT: Telegram did not answer" });
          if (givingUp) dc.script(acc.phone, UNREACHABLE);
          const clock = clockAt(Date.now());
          const day = clock.now().toISOString().slice(0, 10);
          const { cleanup } = faultyDeps(clock);
          faulty.reset();
          if (p.kind) faulty.failWrite(p.n, p.kind, p.afterLanding ? { afterLanding: true } : {});
          const before = faulty.faultsInjected;
          let failed: unknown;
          await runCleanup(cleanup, { onlyPendingLogouts: true, actor: "schedule:cleanup" }).catch(
            (err: unknown) => (failed = err),
          );
          const label = labelOf(p, faulty.writes[p.n - 1]?.command);
          if (!p.kind) {
            expect(failed, label).toBeUndefined();
            expect(faulty.writes.length, label).toBeGreaterThanOrEqual(2);
            plan.push(...planFrom());
          } else {
            expect(faulty.faultsInjected - before, label).toBe(1);
            c.faults++;
          }
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
            expect(logouts[0], label).toMatch(
              /^logout never confirmed after \d+ attempts .*destroyed anyway$/,
            );
            // The documented give-up: the key may still work there, and the audit says so.
            expect(dc.keyState(acc.sessionString).loggedInAs, label).toBe(BigInt(acc.userId));
          } else {
            expect(row, label).toMatchObject({ status: "deleted", hasSecret: false });
            expect(row?.revocation?.state, label).toMatch(/^(logged-out|already-dead)$/);
            expect(await getMeWith(acc.sessionString), `${label}: the old key at the DC`).toBe(
              "AUTH_KEY_UNREGISTERED",
            );
          }
          // The fleet counter moved with every write that landed, and only with those.
          expect(
            (await store.sessions({ now: clock.now }).recountFleet()).drift,
            `${label}: fleet counter`,
          ).toEqual({});
          c.inputs++;
        }
      },
    );
  });
});
