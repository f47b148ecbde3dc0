/**
 * Load held by the health check: a fleet on the loopback DC (GramJS's real client and transport, real MTProto
 * encryption, DynamoDB Local) checked by the real dispatcher and worker handlers, with 10% of the accounts answering
 * getMe with a flood wait, 5% with dead keys (401 AUTH_KEY_UNREGISTERED) and 2% on connections that never answer.
 * Every session must be classified exactly once, as its script says; no lease may be left held; the run's summary
 * must hold exactly those numbers and name exactly the dead sessions.
 *
 * Catches: a check counted twice or never (a run that never completes, or wrong summary numbers), a lease left on a
 * session after a silent connection's deadline, a flood wait or a silent link taken for a death.
 */
import { describe, expect, it } from "vitest";
import { createDispatchHandler } from "../../functions/health-check-dispatch";
import { createWorkerHandler } from "../../functions/health-check-worker";
import { HealthCheckRuns, InMemoryCheckQueue, noMetrics, type HealthCheckSummary } from "../../lib/jobs";
import { SUMMARY_LIST_LIMIT } from "../../lib/jobs/summary";
import { createLogger } from "../../lib/log";
import { normalizePhone, type Phone } from "../../lib/sessions";
import { createTestStore } from "../support/dynamo";
import { dcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc } from "../support/mtproto/loopback-dc";
import { counters } from "../support/reliability-counters";

const FLEET = Number(process.env.LOAD_HEALTH_CHECK_SESSIONS ?? 10_000);
/** Per invocation, as the deployed worker (10) times the invocations this process plays at once. */
const WORKERS_AT_ONCE = 5;
const CHECK_DEADLINE_MS = 15_000;

type Script = "healthy" | "flood" | "dead" | "silent";

function scriptOf(i: number): Script {
  const r = i % 100;
  return r < 10 ? "flood" : r < 15 ? "dead" : r < 17 ? "silent" : "healthy";
}

describe("a health check under load", () => {
  it(
    `${FLEET.toLocaleString("en-US")} sessions, 10% flood waits, 5% dead keys, 2% silent links: each classified exactly once`,
    { timeout: 1_800_000 },
    async (ctx) => {
      const c = counters(ctx);
      const store = await createTestStore();
      const dc = await startLoopbackDc();
      try {
        const h = dcHarness(store, dc, { logLevel: "SILENT" });
        const expected = new Map<Phone, Script>();
        const started = Date.now();
        const phones = Array.from({ length: FLEET }, (_, i) =>
          normalizePhone(`+99897${String(1_000_000 + i).slice(-7)}`),
        );
        // Seeded 50 at a time: each is a key at the DC and an encrypted row.
        for (let i = 0; i < FLEET; i += 50) {
          await Promise.all(
            phones.slice(i, i + 50).map(async (phone, j) => {
              const n = i + j;
              const { sessionString } = dc.addAccount({ phone, userId: 700_000 + n, firstName: `Load ${n}` });
              await h.sessions.create({ phone, sessionString, account: { userId: String(700_000 + n) } });
              const script = scriptOf(n);
              expected.set(phone, script);
              if (script === "flood")
                dc.script(phone, {
                  method: "users.GetUsers",
                  error: { code: 420, message: "FLOOD_WAIT_600" },
                });
              if (script === "dead")
                dc.script(phone, {
                  method: "users.GetUsers",
                  error: { code: 401, message: "AUTH_KEY_UNREGISTERED" },
                });
              if (script === "silent") dc.script(phone, { method: "users.GetUsers", silent: true });
            }),
          );
        }
        const seeded = Date.now();

        const summaries: HealthCheckSummary[] = [];
        const queue = new InMemoryCheckQueue();
        const common = {
          sessions: h.sessions,
          runs: new HealthCheckRuns(store.doc, store.botStateTable),
          logger: createLogger({ service: "load", level: "SILENT" }),
          metrics: noMetrics,
          now: () => new Date(),
          notify: (s: HealthCheckSummary) => {
            summaries.push(s);
            return Promise.resolve();
          },
        };
        const dispatch = createDispatchHandler(() => ({ ...common, queue }));
        const worker = createWorkerHandler(() => ({
          ...common,
          userbots: h.services.userbots,
          concurrency: 10,
          checkDeadlineMs: CHECK_DEADLINE_MS,
        }));
        const dispatched = await dispatch({ scheduledTime: new Date().toISOString() });
        expect(dispatched.queued).toBe(FLEET);
        const events = queue.drain(10);
        let next = 0;
        const failures: string[] = [];
        // WORKERS_AT_ONCE invocations in flight, each a fresh 60 s Lambda budget.
        await Promise.all(
          Array.from({ length: WORKERS_AT_ONCE }, async () => {
            while (next < events.length) {
              const event = events[next++]!;
              const deadline = Date.now() + 60_000;
              const out = await worker(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
              failures.push(...out.batchItemFailures.map((f) => f.itemIdentifier));
            }
          }),
        );
        const checked = Date.now();
        console.log(
          `health check load: ${FLEET} sessions seeded in ${((seeded - started) / 1000).toFixed(1)} s, ` +
            `checked in ${((checked - seeded) / 1000).toFixed(1)} s (${WORKERS_AT_ONCE} invocations × 10 at once)`,
        );

        expect(failures).toEqual([]);
        const want = { healthy: 0, flood: 0, dead: 0, silent: 0 };
        for (const s of expected.values()) want[s] += 1;
        expect(summaries).toHaveLength(1);
        const summary = summaries[0]!;
        expect(summary.counts).toMatchObject({
          healthy: want.healthy,
          failed: want.dead,
          floodWaited: want.flood,
          transient: want.silent,
        });
        // The message names at most SUMMARY_LIST_LIMIT of them, each one dead; the reasons count all.
        const dead = new Set([...expected].filter(([, s]) => s === "dead").map(([p]) => p));
        expect(summary.newlyFailed).toHaveLength(Math.min(SUMMARY_LIST_LIMIT, dead.size));
        for (const s of summary.newlyFailed) expect(dead.has(s.phone)).toBe(true);
        expect(summary.failedByReason).toEqual({ AUTH_KEY_UNREGISTERED: dead.size });
        // Every row as its script says, and no lease left behind.
        let wrong = 0;
        let leases = 0;
        for (let i = 0; i < FLEET; i += 100) {
          const rows = await Promise.all(phones.slice(i, i + 100).map((p) => h.sessions.require(p)));
          for (const row of rows) {
            const script = expected.get(row.phone)!;
            if (row.leaseOwner !== undefined) leases += 1;
            const ok =
              script === "dead"
                ? row.status === "error" && row.lastErrorCode === "AUTH_KEY_UNREGISTERED"
                : script === "flood"
                  ? row.status === "active" && row.floodWaitUntil !== undefined
                  : script === "silent"
                    ? row.status === "active" && row.consecutiveFailures === 1
                    : row.status === "active" && row.lastCheckedAt !== undefined;
            if (!ok) wrong += 1;
          }
        }
        expect({ wrong, leases }).toEqual({ wrong: 0, leases: 0 });
        c.inputs += FLEET;
        c.faults += want.flood + want.dead + want.silent;
      } finally {
        await dc.stop();
      }
    },
  );
});
