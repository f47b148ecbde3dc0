/**
 * Load held: 2,000 real `/start` updates from 50 admins through the real webhook handler on DynamoDB Local, 20% of
 * them delivered twice, 5% of DynamoDB attempts throttled, 40 deliveries in flight (Telegram's default
 * max_connections), every non-200 answer delivered again as Telegram would. Each update must be answered exactly
 * once: none lost, none processed twice. The p99 is printed (a figure, not a goal: goals live in `npm run bench`).
 *
 * Catches: a processed-once claim that lets a concurrent duplicate through (two menus), one that is left held after
 * a throttled write (the update is never answered), or a completion mark whose failure makes Telegram's retry run
 * the update again.
 */
import { describe, expect, it } from "vitest";
import { createTestStore } from "../support/dynamo";
import { counters } from "../support/reliability-counters";
import { runWebhookBurst } from "../support/webhook-burst";

describe("a burst of updates", () => {
  it(
    "2,000 updates from 50 admins, 20% delivered twice, 5% of DynamoDB attempts throttled: each answered exactly once",
    { timeout: 600_000 },
    async (ctx) => {
      const c = counters(ctx);
      const r = await runWebhookBurst({
        updates: 2_000,
        admins: 50,
        duplicateShare: 0.2,
        throttleShare: 0.05,
        concurrency: 40,
        seed: 20261203,
        store: await createTestStore(),
      });
      console.log(
        `burst: ${r.updates} updates, ${r.deliveries} deliveries (${r.duplicatesDelivered} duplicates, ` +
          `${r.redelivered} redelivered after a non-200), ${r.throttled} of ${r.dynamoAttempts} DynamoDB attempts ` +
          `throttled, ${r.seconds.toFixed(1)} s; p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms; ` +
          `lost ${r.updatesLost}, twice ${r.updatesProcessedTwice}, error answers ${r.errorAnswers}`,
      );
      c.inputs += r.deliveries;
      c.faults += r.throttled;
      c.forgedRefused += r.duplicatesDelivered;
      // The rig really threw what it says, and the duplicates really were sent.
      expect(r.throttled).toBeGreaterThan(0.03 * r.dynamoAttempts);
      expect(r.duplicatesDelivered).toBeGreaterThan(300);
      expect({ lost: r.updatesLost, twice: r.updatesProcessedTwice }).toEqual({ lost: 0, twice: 0 });
      // A throttle the SDK retried is invisible to the admin: every answer is the menu.
      expect(r.errorAnswers).toBe(0);
    },
  );
});
