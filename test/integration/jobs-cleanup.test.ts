import { Metrics } from "@aws-lambda-powertools/metrics";
import { beforeAll, describe, expect, it } from "vitest";
import { createCleanupHandler } from "../../functions/cleanup";
import { powertoolsMetrics } from "../../lib/jobs/metrics";
import { createLogger } from "../../lib/log";
import { normalizePhone, SessionRepository, type ListOptions, type Phone } from "../../lib/sessions";
import { AuditLog } from "../../lib/bot-state/audit";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { FakeTelegram } from "../support/fake-telegram";
import { API_ID, wireUserbots } from "../support/fake-telegram-harness";

const NOW = new Date("2026-11-29T00:00:00Z");
const DAY = 86_400_000;
const SESSION_STRING = `1${"B".repeat(220)}cleanupSecretTail==`;

let store: TestStore;
/** Telegram under GramJS: the cleanup logs each key out before destroying it. */
let telegram: FakeTelegram;
const strings: string[] = [];
let seq = 0;
function nextPhone(): Phone {
  seq += 1;
  return normalizePhone(`+99893${String(1_000_000 + seq).slice(-7)}`);
}

/** Puts a session into the table as it was `daysAgo` days ago: created then, and (optionally) failed then. */
async function sessionFrom(daysAgo: number, state: "active" | "error" | "paused"): Promise<Phone> {
  const phone = nextPhone();
  const repo = store.sessions({ now: () => new Date(NOW.getTime() - daysAgo * DAY) });
  telegram.addAccount({ phone, userId: 5000 + seq, firstName: "Old" });
  const sessionString = await telegram.sessionFor(phone);
  strings.push(sessionString);
  await repo.create({ phone, sessionString, account: { userId: String(5000 + seq) } });
  if (state === "error") {
    await repo.markError(phone, {
      code: "AUTH_KEY_UNREGISTERED",
      message: "AUTH_KEY_UNREGISTERED: log in again",
    });
  }
  if (state === "paused") await repo.pause(phone);
  return phone;
}

function cleanupHandler(sessions: SessionRepository) {
  const logger = createLogger({ service: "test", level: "INFO" });
  const metrics = new Metrics({ namespace: "SessionKeeperTest", serviceName: "test" });
  const audit = new AuditLog(store.doc, store.botStateTable, () => NOW);
  return createCleanupHandler(() => ({
    sessions,
    audit,
    userbots: wireUserbots(store, telegram.createClient, "test", { sessions, audit, logger, now: () => NOW })
      .services.userbots,
    logger,
    metrics: powertoolsMetrics(metrics),
    now: () => NOW,
    olderThanDays: 30,
  }));
}

beforeAll(async () => {
  store = await createTestStore();
  telegram = new FakeTelegram();
  telegram.validApiId = API_ID;
});

describe("weekly cleanup of old error sessions", () => {
  it("deletes exactly the error sessions older than 30 days, keeps one logged in again meanwhile, and audits each", async () => {
    const oldErrors = [
      await sessionFrom(45, "error"),
      await sessionFrom(31, "error"),
      await sessionFrom(90, "error"),
    ];
    const reloggedMeanwhile = await sessionFrom(60, "error");
    const recentError = await sessionFrom(29, "error");
    const oldActive = await sessionFrom(100, "active");
    const oldPaused = await sessionFrom(100, "paused");

    // Between listing the old errors and deleting them, an admin logs one of them in again.
    const admin = store.sessions({ now: () => NOW });
    class AdminLogsInDuringCleanup extends SessionRepository {
      override async listErrorsUpdatedBefore(cutoff: Date, options?: Omit<ListOptions, "order">) {
        const page = await super.listErrorsUpdatedBefore(cutoff, options);
        if (page.items.some((s) => s.phone === reloggedMeanwhile)) {
          await admin.relogin(reloggedMeanwhile, SESSION_STRING, { userId: "4242" });
        }
        return page;
      }
    }
    const logger = createLogger({ service: "test", level: "INFO" });
    const sessions = new AdminLogsInDuringCleanup(store.doc, store.sessionsTable, store.cipher, {
      now: () => NOW,
      logger,
    });

    const { result, output } = await captureOutput(() =>
      cleanupHandler(sessions)({ "detail-type": "Scheduled Event" }),
    );

    expect(result.deleted.map((d) => d.phone).sort()).toEqual([...oldErrors].sort());
    expect(result.kept).toEqual([reloggedMeanwhile]);
    expect(result.cutoff).toBe("2026-10-30T00:00:00.000Z");
    for (const phone of oldErrors) {
      const row = await admin.get(phone);
      expect(row).toMatchObject({ status: "deleted", hasSecret: false });
      expect(output).toMatch(new RegExp(`"message":"Session deleted"[^\\n]*"phone":"\\${phone}"`));
    }
    expect(await admin.get(reloggedMeanwhile)).toMatchObject({ status: "active", hasSecret: true });
    expect(await admin.get(recentError)).toMatchObject({ status: "error" });
    expect(await admin.get(oldActive)).toMatchObject({ status: "active" });
    expect(await admin.get(oldPaused)).toMatchObject({ status: "paused" });

    const audit = await new AuditLog(store.doc, store.botStateTable).day("2026-11-29");
    const cleaned = audit.filter((e) => e.action === "cleanup.deleted");
    expect(cleaned.map((e) => e.phone).sort()).toEqual([...oldErrors].sort());
    expect(cleaned[0]).toMatchObject({ actor: "schedule:cleanup" });
    expect(cleaned[0]!.detail).toMatch(/older than 30 days\): AUTH_KEY_UNREGISTERED/);
    // Each key was logged out at Telegram before its ciphertext was destroyed, and the audit says so.
    for (const e of cleaned) expect(e.detail).toContain("; logged out at Telegram and destroyed");
    expect(result.deleted.map((d) => d.revocation)).toEqual(["logged-out", "logged-out", "logged-out"]);

    // The count an operator's dashboard shows, in CloudWatch EMF.
    const emf = output
      .split("\n")
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(emf.find((m) => "SessionsDeletedByCleanup" in m)).toMatchObject({ SessionsDeletedByCleanup: 3 });
    expect(emf.find((m) => m.status === "deleted")).toMatchObject({ FleetSessions: 3 });
    expect(output).not.toContain("cleanupSecretTail");
    for (const secret of strings) expect(output).not.toContain(secret);
  });

  it("in a dry run lists the old error sessions and deletes nothing", async () => {
    const s = await createTestStore();
    const previous = store;
    store = s;
    try {
      const old = await sessionFrom(40, "error");
      await sessionFrom(10, "error");
      const sessions = s.sessions({ now: () => NOW });
      const { result, output } = await captureOutput(() => cleanupHandler(sessions)({ dryRun: true }));
      expect(result).toMatchObject({ dryRun: true, kept: [] });
      expect(result.deleted.map((d) => d.phone)).toEqual([old]);
      expect(await sessions.get(old)).toMatchObject({ status: "error", hasSecret: true });
      expect(await sessions.countByStatus()).toMatchObject({ error: 2, deleted: 0 });
      expect(output).toContain("Would delete old error session");
      expect(output).not.toContain("SessionsDeletedByCleanup");
      expect(await new AuditLog(s.doc, s.botStateTable).day("2026-11-29")).toEqual([]);
    } finally {
      store = previous;
    }
  });

  it("refuses an input that is not an object of options, and deletes nothing", async () => {
    const old = await sessionFrom(50, "error");
    const sessions = store.sessions({ now: () => NOW });
    await expect(cleanupHandler(sessions)({ dryRun: "yes" })).rejects.toThrow(
      /must be a JSON object, optionally \{"dryRun": true\}; nothing was deleted/,
    );
    expect(await sessions.get(old)).toMatchObject({ status: "error" });
  });
});
