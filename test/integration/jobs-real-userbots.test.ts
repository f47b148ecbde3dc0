/**
 * The scheduled health check end to end with the real userbot layer: dispatch → in-memory queue → the worker
 * handler → `createUserbotServices` (lease, deadline, GramJS client, classification) → a fake Telegram at GramJS's
 * network seam. Only Telegram is not real.
 */
import { describe, expect, it } from "vitest";
import { createDispatchHandler } from "../../functions/health-check-dispatch";
import { createWorkerHandler } from "../../functions/health-check-worker";
import { HealthCheckRuns, InMemoryCheckQueue, noMetrics, type HealthCheckSummary } from "../../lib/jobs";
import { createLogger } from "../../lib/log";
import { captureOutput } from "../support/capture-logs";
import { createTestStore } from "../support/dynamo";
import { harness, seedSession } from "../support/fake-telegram-harness";

describe("the health check over the real userbot layer", () => {
  it("ends a mixed fleet in the right states, connects no leased session, and sends one summary", async () => {
    const store = await createTestStore();
    const h = harness(store, { logLevel: "INFO" });
    const healthy = [await seedSession(h), await seedSession(h)];
    const dead = await seedSession(h);
    const deactivated = await seedSession(h);
    const floods = await seedSession(h);
    const timesOut = await seedSession(h);
    const leased = await seedSession(h);
    h.fake.failOn(dead, "users.GetUsers", { error: [401, "AUTH_KEY_UNREGISTERED"] });
    h.fake.failOn(deactivated, "users.GetUsers", { error: [401, "USER_DEACTIVATED"] });
    h.fake.failOn(floods, "users.GetUsers", { floodWaitSeconds: 600 });
    h.fake.failOn(timesOut, "users.GetUsers", { error: [-503, "Timeout"] });

    const logger = createLogger({ service: "test", level: "INFO" });
    const summaries: HealthCheckSummary[] = [];
    const queue = new InMemoryCheckQueue();
    const common = {
      sessions: h.sessions,
      runs: new HealthCheckRuns(store.doc, store.botStateTable),
      logger,
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
      concurrency: 3,
      checkDeadlineMs: 10_000,
    }));

    const { result: responses, output } = await captureOutput(async () => {
      await dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
      // Another invocation takes a queued session before the worker gets to it.
      await h.sessions.acquireLease(leased, "check-now:tg:1001", 60_000);
      const out = [];
      for (const event of queue.drain(4))
        out.push(await worker(event, { getRemainingTimeInMillis: () => 55_000 }));
      return out;
    });

    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    for (const phone of healthy) expect(await h.sessions.require(phone)).toMatchObject({ status: "active" });
    expect(await h.sessions.require(dead)).toMatchObject({
      status: "error",
      isPaused: true,
      lastErrorCode: "AUTH_KEY_UNREGISTERED",
    });
    expect(await h.sessions.require(deactivated)).toMatchObject({
      status: "error",
      lastErrorCode: "USER_DEACTIVATED",
    });
    const flood = await h.sessions.require(floods);
    expect(flood.status).toBe("active");
    expect(flood.floodWaitUntil).toBeDefined();
    expect(await h.sessions.require(timesOut)).toMatchObject({ status: "active", consecutiveFailures: 1 });
    expect(await h.sessions.require(leased)).toMatchObject({ leaseOwner: "check-now:tg:1001" });
    expect(h.fake.calls.filter((c) => c.phone === leased)).toEqual([]);
    expect(h.fake.calls.filter((c) => c.phone === healthy[0]).map((c) => c.request)).toContain(
      "users.GetUsers",
    );
    // Every client the checks opened was destroyed before its invocation returned.
    expect(h.fake.stats.destroyed).toBe(h.fake.stats.created);

    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.newlyFailed.map((s) => s.phone).sort()).toEqual([dead, deactivated].sort());
    expect(summaries[0]!.counts).toMatchObject({
      healthy: 2,
      failed: 2,
      floodWaited: 1,
      transient: 1,
      skipped: 1,
    });
    expect(output).toMatch(new RegExp(`"message":"Session OK"[^\\n]*"phone":"\\${healthy[0]}"`));
    expect(output).toMatch(new RegExp(`"message":"Session failed"[^\\n]*"phone":"\\${dead}"`));
  });
});
