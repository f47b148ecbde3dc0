/**
 * 50 concurrent checks on the same 10 sessions, through the real userbot layer (lease on DynamoDB Local, GramJS's
 * real client with the network replaced): at every moment at most one open client per session. The fake Telegram
 * answers getMe after 50 ms so the checks really overlap. test/integration/telegram-dc-checks.test.ts proves the same
 * over the real MTProto transport against the loopback DC, counting connections per auth key; here the count is of
 * open clients per phone (connected and not yet destroyed), over several rounds, with a release of the lease
 * throttled in one round (the next round must still get in once it expires).
 *
 * Catches: a lease that is checked but not taken conditionally (two checks connect at once: AUTH_KEY_DUPLICATED at
 * Telegram), a client released before it is destroyed, or a lease never released.
 */
import { describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions";
import { StringSession, type CreateClient } from "../../lib/telegram/client";
import { createTestStore } from "../support/dynamo";
import { harness, seedSession } from "../support/fake-telegram-harness";
import { faultyStore } from "../support/faults";
import { counters } from "../support/reliability-counters";
import { scanLogs } from "../support/reliability-logs";

process.env.LOG_LEVEL = "DEBUG";

describe("concurrent checks", () => {
  it(
    "50 at once on 10 sessions, over 4 rounds: never two open clients on one session",
    { timeout: 120_000 },
    async (ctx) => {
      const c = counters(ctx);
      const store = await createTestStore();
      const faulty = faultyStore(store);
      let t = Date.now() + 86_400_000;
      const now = () => new Date(t);
      const open = new Map<string, number>();
      let maxOpen = 0;
      const phoneOf = new Map<string, Phone>();
      const h = harness(store, {
        logLevel: "DEBUG",
        sessions: faulty.sessions({ now }),
        doc: faulty.doc,
        now,
        // The fake's own clients, each watched from connect to the end of destroy.
        createClient: (...args) => createClient!(...args),
      });
      const createClient: CreateClient = (session, apiId, apiHash, params) => {
        const client = h.fake.createClient(session, apiId, apiHash, params);
        const connect = client.connect.bind(client);
        const destroy = client.destroy.bind(client);
        // Which session: by its auth key, as Telegram tells connections apart.
        const phoneOfClient = () =>
          phoneOf.get(client.session.getAuthKey()?.getKey()?.toString("hex") ?? "") ?? "unknown";
        let counted: string | undefined;
        client.connect = async () => {
          const ok = await connect();
          if (ok) {
            counted = phoneOfClient();
            open.set(counted, (open.get(counted) ?? 0) + 1);
            maxOpen = Math.max(maxOpen, open.get(counted)!);
          }
          return ok;
        };
        client.destroy = async () => {
          await destroy();
          if (counted) open.set(counted, open.get(counted)! - 1);
          counted = undefined;
        };
        return client;
      };
      const secrets: string[] = [];
      await scanLogs(
        c,
        () => secrets,
        async () => {
          const phones: Phone[] = [];
          for (let i = 0; i < 10; i++) {
            const phone = await seedSession(h);
            phones.push(phone);
            const secret = await store.sessions().readSessionString(phone);
            secrets.push(secret);
            const parsed = new StringSession(secret);
            await parsed.load();
            phoneOf.set(parsed.getAuthKey()!.getKey()!.toString("hex"), phone);
          }
          h.fake.failOn("*", "users.GetUsers", { delayMs: 50 }, 10_000);
          let healthy = 0;
          let skipped = 0;
          let slow = 0;
          for (let round = 0; round < 4; round++) {
            faulty.reset();
            // Round 2: the first lease release is throttled; that session's lease must expire on its own.
            if (round === 1) faulty.failWrite(3, "throttle");
            const results = await Promise.allSettled(
              Array.from({ length: 50 }, (_, i) =>
                h.services.userbots.checkSession(phones[i % 10]!, {
                  deadlineMs: 15_000,
                  actor: `round${round}`,
                }),
              ),
            );
            c.inputs += 50;
            if (round === 1) c.faults += faulty.faultsInjected > 0 ? 1 : 0;
            for (const r of results) {
              if (r.status === "rejected") {
                // Only the throttled release may surface, and only in its round.
                expect(round).toBe(1);
                expect(String(r.reason)).toMatch(/Rate of requests/);
                continue;
              }
              if (r.value.outcome === "healthy") healthy++;
              else if (r.value.outcome === "transient") {
                // A check slowed past its deadline on a loaded machine: not a concurrency failure.
                expect(r.value.failure.code).toBe("TIMEOUT");
                slow++;
              } else {
                expect(r.value, JSON.stringify(r.value)).toMatchObject({
                  outcome: "skipped",
                  reason: "leased",
                });
                skipped++;
              }
            }
            expect(maxOpen).toBeLessThanOrEqual(1);
            expect([...open.values()].every((n) => n === 0)).toBe(true);
            // Past the longest lease (deadline + destroy grace + margin): every lease has ended.
            t += 15_000 + 5_000 + 30_000 + 1_000;
            for (const phone of phones) {
              const row = await store.sessions().require(phone);
              expect(!row.leaseUntil || Date.parse(row.leaseUntil) < t).toBe(true);
              expect(row.status).toBe("active");
            }
          }
          // Each session was checked at least once per round, and every client was destroyed.
          expect(healthy + slow).toBeGreaterThanOrEqual(39);
          expect(healthy + skipped + slow).toBeGreaterThanOrEqual(199);
          expect(maxOpen).toBe(1);
          expect(open.has("unknown")).toBe(false);
          expect(h.fake.stats.destroyed).toBe(h.fake.stats.created);
          for (const phone of phones)
            expect(await store.sessions().readSessionString(phone)).toBe(secrets[phones.indexOf(phone)]);
        },
      );
      faulty.destroy();
    },
  );
});
