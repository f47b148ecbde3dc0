/**
 * What the admins read after a health check: the real worker, the real userbot layer (Telegram faked at GramJS's
 * network seam) and the AdminBot's real notifier, whose Bot API calls are recorded instead of sent.
 */
import { Api } from "grammy";
import { describe, expect, it } from "vitest";
import { createDispatchHandler } from "../../functions/health-check-dispatch";
import { createWorkerHandler } from "../../functions/health-check-worker";
import { healthCheckNotifier } from "../../lib/bot/health-summary";
import { createNotifier } from "../../lib/bot/notifier";
import { HealthCheckRuns, InMemoryCheckQueue, noMetrics } from "../../lib/jobs";
import { createLogger } from "../../lib/log";
import { AdminRepository } from "../../lib/bot-state/admins";
import { FakeBotApi } from "../support/bot-api";
import { BOT_TOKEN } from "../support/bot-harness";
import { createTestStore } from "../support/dynamo";
import { harness, seedSession } from "../support/fake-telegram-harness";

async function runHealthCheck(failing: "dead" | "none") {
  const store = await createTestStore();
  const h = harness(store);
  const admins = new AdminRepository(store.doc, store.botStateTable);
  await admins.add({ userId: "501", role: "owner", addedBy: "cli" });
  await admins.add({ userId: "502", addedBy: "cli" });
  await admins.setLanguage("502", "en");
  const healthy = await seedSession(h);
  const dead = await seedSession(h);
  if (failing === "dead") h.fake.failOn(dead, "users.GetUsers", { error: [401, "AUTH_KEY_UNREGISTERED"] });

  const fake = new FakeBotApi();
  const api = new Api(BOT_TOKEN);
  api.config.use(fake.transformer);
  const logger = createLogger({ service: "test", level: "ERROR" });
  const queue = new InMemoryCheckQueue();
  const common = {
    sessions: h.sessions,
    runs: new HealthCheckRuns(store.doc, store.botStateTable),
    logger,
    metrics: noMetrics,
    now: () => new Date(),
    notify: healthCheckNotifier(createNotifier(api, admins, logger), logger),
  };
  await createDispatchHandler(() => ({ ...common, queue }))({ scheduledTime: "2026-11-27T00:00:00Z" });
  const worker = createWorkerHandler(() => ({
    ...common,
    userbots: h.services.userbots,
    concurrency: 2,
    checkDeadlineMs: 10_000,
  }));
  for (const event of queue.drain(10)) await worker(event, { getRemainingTimeInMillis: () => 55_000 });
  return { fake, healthy, dead };
}

describe("the health check's message to the admins", () => {
  it("tells every admin once, in their language, which session died and what to do", async () => {
    const { fake, healthy, dead } = await runHealthCheck("dead");
    const sent = fake.callsOf("sendMessage");
    expect(sent.map((c) => c.payload.chat_id)).toEqual(["501", "502"]);
    const [uz, en] = sent.map((c) => String(c.payload.text));
    expect(uz).toContain("1 ta sessiya ishlamay qoldi");
    expect(uz).toContain(`<code>${dead}</code>: AUTH_KEY_UNREGISTERED`);
    expect(en).toContain("1 session stopped working and were paused");
    expect(en).toContain(`<code>${dead}</code>: AUTH_KEY_UNREGISTERED`);
    expect(en).toContain("delete them, then ➕ Add Session to log in again");
    expect(en).toContain("Checked 2: 🟢 1 healthy, 🔴 1 failed");
    expect(en).not.toContain(healthy);
  });

  it("says nothing when every session is healthy", async () => {
    const { fake } = await runHealthCheck("none");
    expect(fake.callsOf("sendMessage")).toEqual([]);
  });
});
