/**
 * The fleet counter never drifts under DynamoDB faults (issue 19). A script that takes every write path of the
 * sessions repository (create, a new session over a settled tombstone, pause, resume, markError, relogin, 2FA
 * readings in and out of the count, delete, delete with the logout pending, its retry and settling, proxy and lease
 * writes) is run once clean to count its writes, then once per write and fault (throttled after the SDK's retries;
 * a failed condition; throttled after the write landed, its answer lost), carrying on past each failed step as a
 * caller would. After every run the counter item equals a recount of the status index.
 */
import { describe, expect, it } from "vitest";
import { normalizePhone, type Phone, type Session } from "../../lib/sessions";
import { createTestStore } from "../support/dynamo";
import { faultsFor, faultyStore, type FaultKind } from "../support/faults";
import { counters } from "../support/reliability-counters";

const account = { userId: "7", username: "counted" };
let serial = 0;
const newPhone = (): Phone => normalizePhone(`+99893${String(2_000_000 + serial++)}`);

describe("faults at the fleet counter's writes", () => {
  it(
    "at every write of every repository write path: the counter equals a recount",
    { timeout: 300_000 },
    async (ctx) => {
      const c = counters(ctx);
      const store = await createTestStore();
      const faulty = faultyStore(store);
      let clock = Date.parse("2026-03-01T00:00:00.000Z");
      const now = () => new Date(clock);
      const repo = faulty.sessions({ now, revocationGiveUpDays: 7 });
      const twoFa = (hasPassword: boolean) => ({ twoFa: { hasPassword, checkedAt: now().toISOString() } });

      /** Each step may fail (a fault); the next goes on from what is stored, as a retrying caller would. */
      async function script(): Promise<void> {
        const a = newPhone();
        const b = newPhone();
        let s: Session | undefined;
        const step = async (f: () => Promise<Session | boolean | undefined>) => {
          try {
            const out = await f();
            if (out && typeof out === "object" && out.phone === a) s = out;
          } catch {
            s = (await store.sessions({ now }).get(a)) ?? s; // the caller reads again
          }
        };
        await step(() => repo.create({ phone: a, sessionString: "a1", account }));
        await step(() => repo.create({ phone: b, sessionString: "b1", account }));
        await step(() => repo.recordCheck(a, s?.version ?? 1, twoFa(false)));
        await step(() => repo.pause(a, s));
        await step(() => repo.recordCheck(a, s?.version ?? 1, twoFa(false)));
        await step(() => repo.resume(a, s?.version));
        await step(() =>
          repo.markError(a, { message: "AUTH_KEY_UNREGISTERED: gone", code: "AUTH_KEY_UNREGISTERED" }, s),
        );
        await step(() => repo.relogin(a, "a2", account));
        await step(() => repo.recordCheck(a, s?.version ?? 1, twoFa(true)));
        await step(() => repo.setProxy(a, { kind: "socks5", host: "127.0.0.1", port: 1080 }));
        await step(() => repo.acquireLease(a, "faults", 60_000));
        await step(() => repo.releaseLease(a, "faults"));
        await step(() => repo.deleteWithRevocation(a, { notConfirmed: "TIMEOUT" }, s));
        await step(() =>
          s ? repo.retryRevocation(s, { notConfirmed: "TIMEOUT" }) : Promise.resolve(undefined),
        );
        await step(() =>
          s ? repo.retryRevocation(s, { confirmed: "logged-out" }) : Promise.resolve(undefined),
        );
        await step(() => repo.create({ phone: a, sessionString: "a3", account }));
        await step(() => repo.delete(b));
        await step(() => repo.deleteWithRevocation(a, { confirmed: "already-dead" }));
      }

      const plan: { n: number; kind: FaultKind | undefined; afterLanding?: boolean }[] = [
        { n: 0, kind: undefined },
      ];
      for (let i = 0; i < plan.length; i++) {
        const { n, kind, afterLanding } = plan[i]!;
        clock += 86_400_000;
        faulty.reset();
        if (kind) faulty.failWrite(n, kind, afterLanding ? { afterLanding } : {});
        const before = faulty.faultsInjected;
        await script();
        if (!kind) {
          const writes = faulty.writes.length;
          expect(writes).toBeGreaterThanOrEqual(18);
          for (let w = 1; w <= writes; w++) {
            for (const k of faultsFor(faulty.writes[w - 1]!)) plan.push({ n: w, kind: k });
            plan.push({ n: w, kind: "throttle", afterLanding: true });
          }
        } else {
          expect(faulty.faultsInjected - before).toBe(1);
          c.faults += 1;
        }
        const label = kind
          ? `write ${n} ${faulty.writes[n - 1]?.command} ${faulty.writes[n - 1]?.target} ${kind}${afterLanding ? " after landing" : ""}`
          : "clean";
        const recount = await store.sessions({ now }).recountFleet();
        expect(recount.drift, label).toEqual({});
        c.inputs++;
      }
      expect(plan.length).toBeGreaterThan(40);
      faulty.destroy();
    },
  );
});
