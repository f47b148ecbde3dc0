/**
 * What getMe cannot see: an account Telegram froze still answers getMe, so the check also reads help.getAppConfig.
 * GramJS's real client and errors, only the network replaced; the rows on DynamoDB Local. What the operator sees is
 * asserted on the bot's card, the CLI's card and the admins' summary.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createDispatchHandler } from "../../functions/health-check-dispatch";
import { createWorkerHandler } from "../../functions/health-check-worker";
import {
  checkAll,
  HealthCheckRuns,
  InMemoryCheckQueue,
  noMetrics,
  type HealthCheckSummary,
  type JobMetrics,
} from "../../lib/jobs";
import { createLogger } from "../../lib/log";
import { colorsFor, sessionCard as cliCard } from "../../lib/cli/format";
import { renderHealthSummary } from "../../lib/bot/health-summary";
import { en } from "../../lib/bot/locales/en";
import { sessionCard } from "../../lib/bot/views";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { harness, logLines, seedSession } from "../support/fake-telegram-harness";

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});

const check = { deadlineMs: 5_000, actor: "health-check:test" };
/** 2026-11-01T00:00:00Z and 2027-01-30T00:00:00Z, as Telegram sends dates (unix seconds). */
const SINCE = 1_793_491_200;
const UNTIL = 1_801_267_200;
const APPEAL = "https://t.me/spambot?start=appeal";
const noColors = colorsFor({ isTTY: false }, {});

describe("a frozen account that still answers getMe", () => {
  it("is reported frozen, not healthy, with Telegram's dates; stays active and unpaused; the cards show it", async () => {
    const h = harness(store, { logLevel: "INFO" });
    const phone = await seedSession(h, {
      frozen: { sinceDate: SINCE, untilDate: UNTIL, appealUrl: APPEAL },
    });

    const { result, output } = await captureOutput(() => h.services.userbots.checkSession(phone, check));

    expect(result).toMatchObject({
      outcome: "frozen",
      newlyFrozen: true,
      freeze: { since: "2026-11-01T00:00:00.000Z", until: "2027-01-30T00:00:00.000Z", appealUrl: APPEAL },
      account: { username: expect.any(String) as unknown },
    });
    const row = await h.sessions.require(phone);
    expect(row).toMatchObject({
      status: "active",
      isPaused: false,
      consecutiveFailures: 0,
      frozen: { since: "2026-11-01T00:00:00.000Z", until: "2027-01-30T00:00:00.000Z", appealUrl: APPEAL },
    });
    expect(row.lastError).toBeUndefined();
    expect(row.lastCheckedAt).toBeDefined();
    expect(logLines(output).find((l) => l.message === "Session account frozen")).toMatchObject({
      phone,
      until: "2027-01-30T00:00:00.000Z",
      appealUrl: APPEAL,
    });
    expect(output).not.toContain('"message":"Session OK"');

    const card = sessionCard(en, row).text;
    expect(card).toContain("Status: 🟢 active");
    expect(card).toContain("🧊 <b>Frozen by Telegram</b> until 2027-01-30 00:00 UTC");
    expect(card).toContain(`Appeal: ${APPEAL}`);
    const cli = cliCard(row, noColors, new Date("2026-11-27T12:00:00Z")).join("\n");
    expect(cli).toMatch(
      /Frozen\s+by Telegram until 2027-01-30T00:00:00.000Z \(in 2mo\); appeal: https:\/\/t\.me/,
    );

    // The next check still finds it frozen, but it is no longer news; detectedAt is kept.
    const again = await h.services.userbots.checkSession(phone, check);
    expect(again).toMatchObject({ outcome: "frozen", newlyFrozen: false });
    expect((await h.sessions.require(phone)).frozen?.detectedAt).toBe(row.frozen?.detectedAt);

    // Telegram lifts the freeze: the next check is healthy and the row forgets it.
    h.fake.setFrozen(phone, undefined);
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    const lifted = await h.sessions.require(phone);
    expect(lifted.frozen).toBeUndefined();
    expect(sessionCard(en, lifted).text).not.toContain("Frozen");
    expect(h.fake.stats.destroyed).toBe(h.fake.stats.created);
  });

  it("a 420 FROZEN_METHOD_INVALID is a frozen account: never counted as a failure, never marked error", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.failOn(phone, "users.GetUsers", { error: [420, "FROZEN_METHOD_INVALID"] }, 4);

    for (let i = 0; i < 4; i++) {
      const result = await h.services.userbots.checkSession(phone, check);
      expect(result).toMatchObject({ outcome: "frozen", newlyFrozen: i === 0 });
    }
    const row = await h.sessions.require(phone);
    expect(row).toMatchObject({ status: "active", isPaused: false, consecutiveFailures: 0 });
    expect(row.floodWaitUntil).toBeUndefined();
    expect(row.lastError).toBeUndefined();
    expect(row.frozen?.detectedAt).toBeDefined();
    expect(row.frozen?.until).toBeUndefined();
    // Without Telegram's date the card still says frozen, and where to appeal.
    expect(sessionCard(en, row).text).toContain("🧊 <b>Frozen by Telegram</b>: the session works");
    expect(sessionCard(en, row).text).toContain("Appeal: @SpamBot");
  });

  it("FROZEN_PARTICIPANT_MISSING on the app config is a freeze too", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.failOn(phone, "help.GetAppConfig", { error: [400, "FROZEN_PARTICIPANT_MISSING"] });
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "frozen" });
  });

  it("an app config Telegram fails to give leaves the check healthy and the freeze as it was", async () => {
    const h = harness(store, { logLevel: "INFO" });
    const phone = await seedSession(h, { frozen: { untilDate: UNTIL } });
    await h.services.userbots.checkSession(phone, check);
    h.fake.failOn(phone, "help.GetAppConfig", { error: [500, "INTERNAL"] });

    const { result, output } = await captureOutput(() => h.services.userbots.checkSession(phone, check));

    expect(result).toMatchObject({ outcome: "healthy" });
    expect((await h.sessions.require(phone)).frozen?.until).toBe("2027-01-30T00:00:00.000Z");
    expect(logLines(output).find((l) => l.message === "Session freeze not read")).toMatchObject({
      phone,
      code: "INTERNAL",
    });
  });
});

describe("frozen accounts in the health check run", () => {
  it("are counted apart, in the metrics too, and named once in the admins' message with the appeal URL", async () => {
    // A fleet of its own: the run checks every active session in the table.
    const own = await createTestStore();
    const hh = harness(own);
    const healthy = await seedSession(hh);
    const frozen = await seedSession(hh, { frozen: { untilDate: UNTIL, appealUrl: APPEAL } });
    const counted: Record<string, number> = {};
    const metrics: JobMetrics = {
      count: (name, value = 1) => void (counted[name] = (counted[name] ?? 0) + value),
      duration: () => undefined,
      flush: () => undefined,
    };
    const deps = {
      sessions: hh.sessions,
      userbots: hh.services.userbots,
      logger: createLogger({ service: "test", level: "ERROR" }),
      metrics,
      now: () => new Date(),
    };

    const summary = await checkAll(deps);

    expect(summary.counts).toMatchObject({ checked: 2, healthy: 1, frozen: 1, failed: 0, transient: 0 });
    expect(summary.newlyFrozen).toEqual([
      expect.objectContaining({ phone: frozen, until: "2027-01-30T00:00:00.000Z", appealUrl: APPEAL }),
    ]);
    expect(counted).toMatchObject({ SessionsChecked: 2, SessionsHealthy: 1, SessionsFrozen: 1 });
    expect(counted.SessionsFailed).toBeUndefined();
    expect(await hh.sessions.require(frozen)).toMatchObject({ status: "active", isPaused: false });
    expect(await hh.sessions.require(healthy)).toMatchObject({ status: "active" });

    const message = renderHealthSummary(en, summary);
    expect(message).toContain("🧊 <b>Health check</b>: Telegram froze 1 account.");
    expect(message).toContain(`• <code>${frozen}</code>: until 2027-01-30 00:00 UTC; appeal: ${APPEAL}`);
    expect(message).toContain("🧊 1 frozen by Telegram");
    expect(message).not.toContain(healthy);

    // The next run finds it still frozen: counted, but the admins are not told again.
    const next = await checkAll({ ...deps, metrics: noMetrics });
    expect(next.counts.frozen).toBe(1);
    expect(next.newlyFrozen).toBeUndefined();
  });
});

describe("a frozen account in the scheduled run (dispatch → queue → worker)", () => {
  it("alone is enough for the admins to hear of it, once, with Telegram's date and the appeal URL", async () => {
    const own = await createTestStore();
    const hh = harness(own);
    await seedSession(hh);
    const frozen = await seedSession(hh, { frozen: { untilDate: UNTIL, appealUrl: APPEAL } });
    const summaries: HealthCheckSummary[] = [];
    const common = {
      sessions: hh.sessions,
      runs: new HealthCheckRuns(own.doc, own.botStateTable),
      logger: createLogger({ service: "test", level: "ERROR" }),
      metrics: noMetrics,
      now: () => new Date(),
      notify: (s: HealthCheckSummary) => {
        summaries.push(s);
        return Promise.resolve();
      },
    };
    const run = async (scheduledTime: string) => {
      const queue = new InMemoryCheckQueue();
      await createDispatchHandler(() => ({ ...common, queue }))({ scheduledTime });
      const worker = createWorkerHandler(() => ({
        ...common,
        userbots: hh.services.userbots,
        concurrency: 2,
        checkDeadlineMs: 10_000,
      }));
      for (const event of queue.drain(4)) await worker(event, { getRemainingTimeInMillis: () => 55_000 });
    };

    await run("2026-11-27T00:00:00Z");

    expect(summaries).toHaveLength(1);
    const summary = summaries[0]!;
    expect(summary.counts).toMatchObject({ checked: 2, healthy: 1, frozen: 1, failed: 0 });
    expect(summary.newlyFailed).toEqual([]);
    expect(summary.newlyFrozen).toEqual([
      expect.objectContaining({ phone: frozen, until: "2027-01-30T00:00:00.000Z", appealUrl: APPEAL }),
    ]);
    expect(renderHealthSummary(en, summary)).toContain(
      `• <code>${frozen}</code>: until 2027-01-30 00:00 UTC; appeal: ${APPEAL}`,
    );

    // The next day it is still frozen: checked and counted, and the admins are not told again.
    const firstCheck = (await hh.sessions.require(frozen)).lastCheckedAt!;
    await run("2026-11-28T00:00:00Z");
    expect(summaries).toHaveLength(1);
    expect((await hh.sessions.require(frozen)).lastCheckedAt! > firstCheck).toBe(true);
    const second = await common.runs.get(
      (await common.runs.startedBefore(new Date(Date.now() + 60_000), 1))[0]!,
    );
    expect(second).toMatchObject({ frozen: 1, healthy: 1, processed: 2 });
    expect(await hh.sessions.require(frozen)).toMatchObject({ status: "active", isPaused: false });
  });
});

describe("session expiry by inactivity", () => {
  it("records Telegram's authorization_ttl_days at the check, and the cards say when an idle session would end", async () => {
    const h = harness(store);
    const phone = await seedSession(h, { authorizationTtlDays: 30 });
    const before = await h.sessions.require(phone);
    expect(before.authorizationTtlDays).toBeUndefined();
    expect(sessionCard(en, before).text).not.toContain("Expires if unused");

    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });

    const row = await h.sessions.require(phone);
    expect(row.authorizationTtlDays).toBe(30);
    const checkedAt = row.lastCheckedAt!;
    const endsOn = new Date(Date.parse(checkedAt) + 30 * 86_400_000).toISOString();
    const fmt = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
    expect(sessionCard(en, row).text).toContain(
      `Expires if unused for 30 days (Telegram's setting); the daily check keeps it alive. ` +
        `Last used ${fmt(checkedAt)}; without checks it would end ${fmt(endsOn)}.`,
    );
    const cli = cliCard(row, noColors, new Date(checkedAt)).join("\n");
    expect(cli).toMatch(
      /Idle expiry\s+after 30 days unused \(checks keep it alive\); without checks .* \(in 30d\)/,
    );

    // The owner shortens it in the app: the next check records the new value.
    h.fake.addAccount({ ...h.fake.accounts.get(phone)!, authorizationTtlDays: 7 });
    await h.services.userbots.checkSession(phone, check);
    expect((await h.sessions.require(phone)).authorizationTtlDays).toBe(7);
  });

  it("a failure to read the TTL leaves the check healthy and the stored value as it was", async () => {
    const h = harness(store);
    const phone = await seedSession(h, { authorizationTtlDays: 90 });
    await h.services.userbots.checkSession(phone, check);
    h.fake.failOn(phone, "account.GetAuthorizations", { error: [500, "INTERNAL"] });
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    expect((await h.sessions.require(phone)).authorizationTtlDays).toBe(90);
  });
});
