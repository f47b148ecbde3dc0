/**
 * `sessions history` and `sessions audit` on the local stack: the run records the health check writes (scheduled:
 * start, count, finish with the fleet; local: written whole), the cleanup records, and the audit trail, read back
 * by the real CLI process.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import { runCleanup } from "../../lib/jobs/cleanup";
import { CleanupLog } from "../../lib/jobs/cleanup-log";
import { noMetrics } from "../../lib/jobs/metrics";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import { RUN_MARK_RETENTION_DAYS, RUN_RETENTION_DAYS } from "../../lib/jobs/scale";
import { emptyCounts } from "../../lib/jobs/summary";
import { createLogger } from "../../lib/log";
import type { Phone } from "../../lib/sessions";
import { cliEnv, runCli } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";

vi.setConfig({ testTimeout: 60_000 });

const day = (n: number) => new Date(Date.UTC(2026, 10, 1 + n, 3, 0, 0));
const FLEET = (active: number, error: number) => ({ active, paused: 1, error, deleted: 2 });

let store: TestStore;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  store = await createTestStore();
  env = cliEnv(store, { NO_COLOR: "1" });
});
afterAll(() => undefined);

/** A scheduled run as the dispatcher and workers write it: started, counted session by session, finished. */
async function scheduledRun(
  at: Date,
  outcomes: ("healthy" | "failed" | "floodWaited" | "frozen")[],
  fleet: ReturnType<typeof FLEET>,
) {
  let now = at;
  const runs = new HealthCheckRuns(store.doc, store.botStateTable, () => now);
  const runId = `hc-${at.toISOString()}`;
  await runs.start(runId);
  await runs.addQueued(runId, { queued: outcomes.length, floodWait: 0, leased: 0 });
  await runs.completeDispatch(runId);
  for (const [i, outcome] of outcomes.entries())
    await runs.count(runId, `+99890000${String(i).padStart(4, "0")}` as Phone, outcome);
  await runs.claimSummary(runId);
  now = new Date(at.getTime() + 95_000);
  await runs.finish(runId, true, fleet);
  return runId;
}

describe("sessions history", () => {
  it("lists runs and cleanups newest first with checked, fine, newly failed, frozen, flood-waited and duration", async () => {
    await scheduledRun(day(0), ["healthy", "healthy", "failed"], FLEET(2, 1));
    await scheduledRun(day(1), ["healthy", "floodWaited", "frozen"], FLEET(2, 1));
    // A run of `sessions check --all`, written whole.
    const local = new HealthCheckRuns(store.doc, store.botStateTable);
    await local.recordFinished({
      runId: "hc-local-1",
      startedAt: day(2).toISOString(),
      finishedAt: new Date(day(2).getTime() + 4_000).toISOString(),
      queued: 2,
      notQueued: { floodWait: 0, leased: 0 },
      counts: { ...emptyCounts(), checked: 2, healthy: 1, failed: 1 },
      newlyFailed: [],
      failedByReason: {},
      notChecked: [],
      fleet: FLEET(1, 2),
    });
    // A cleanup that deleted, recorded by the same runCleanup the schedule runs.
    await runCleanup(
      {
        sessions: store.sessions(),
        audit: new AuditLog(store.doc, store.botStateTable),
        // Nothing here is old enough to delete, so no key is logged out at Telegram.
        userbots: {
          deleteSession: () => Promise.reject(new Error("this cleanup deletes nothing")),
          retryRevocation: () => Promise.reject(new Error("this cleanup has no pending logout")),
          retryReplacedKey: () => Promise.reject(new Error("this cleanup has no pending logout")),
        },
        logger: createLogger({ service: "test", level: "SILENT" }),
        metrics: noMetrics,
        now: () => new Date(),
        cleanups: new CleanupLog(store.doc, store.botStateTable),
      },
      { olderThanDays: 30, actor: "schedule:cleanup" },
    );

    const r = await runCli(["history"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Health checks");
    expect(lines[1]).toMatch(
      /^DATE \(UTC\)\s+CHECKED\s+FINE\s+NEWLY FAILED\s+FROZEN\s+FLOOD-WAITED\s+DURATION\s+SOURCE$/,
    );
    expect(lines[2]).toMatch(/^2026-11-03 03:00\s+2\s+1\s+1\s+0\s+0\s+4 s\s+local$/);
    expect(lines[3]).toMatch(/^2026-11-02 03:00\s+3\s+1\s+0\s+1\s+1\s+1m 35s\s+schedule$/);
    expect(lines[4]).toMatch(/^2026-11-01 03:00\s+3\s+2\s+1\s+0\s+0\s+1m 35s\s+schedule$/);
    // The chart: one line per status and the newly failed, on one scale, each ending with the latest value.
    expect(r.stdout).toContain(
      "Fleet over these 3 runs, oldest to newest (2026-11-01 03:00 → 2026-11-03 03:00):",
    );
    expect(r.stdout).toMatch(/^ {2}active {8}██▄ 1$/m);
    expect(r.stdout).toMatch(/^ {2}error {9}▄▄█ 2$/m);
    expect(r.stdout).toMatch(/^ {2}newly failed {2}▄ ▄ 1$/m);
    expect(r.stdout).toMatch(
      /^Cleanups\nDATE \(UTC\)\s+DELETED\s+KEPT\s+OLDER THAN\s+BY\s+DURATION\n\d{4}-\d\d-\d\d \d\d:\d\d\s+0\s+0\s+30 d\s+schedule:cleanup\s+/m,
    );

    const json = JSON.parse((await runCli(["history", "--json"], { env })).stdout) as {
      runs: Record<string, unknown>[];
      cleanups: Record<string, unknown>[];
    };
    expect(json.runs.map((x) => x.startedAt)).toEqual([day(2), day(1), day(0)].map((d) => d.toISOString()));
    expect(json.runs[1]).toEqual({
      runId: `hc-${day(1).toISOString()}`,
      source: "schedule",
      startedAt: day(1).toISOString(),
      finishedAt: new Date(day(1).getTime() + 95_000).toISOString(),
      durationMs: 95_000,
      finished: true,
      complete: true,
      queued: 3,
      checked: 3,
      healthy: 1,
      newlyFailed: 0,
      frozen: 1,
      floodWaited: 1,
      transient: 0,
      skipped: 0,
      gaveUp: 0,
      notified: true,
      fleet: FLEET(2, 1),
    });
    expect(json.cleanups).toHaveLength(1);
    expect(json.cleanups[0]).toMatchObject({
      actor: "schedule:cleanup",
      olderThanDays: 30,
      deleted: 0,
      kept: 0,
    });

    const limited = JSON.parse((await runCli(["history", "--json", "--limit", "1"], { env })).stdout) as {
      runs: unknown[];
    };
    expect(limited.runs).toHaveLength(1);
  });

  it("keeps run records 90 days and the per-session marks 14", async () => {
    const at = new Date("2026-11-10T00:00:00Z");
    const runs = new HealthCheckRuns(store.doc, store.botStateTable, () => at);
    await runs.start("hc-retention");
    await runs.count("hc-retention", "+998900009999" as Phone, "healthy");
    const { QueryCommand } = await import("@aws-sdk/lib-dynamodb");
    const items = (
      await store.doc.send(
        new QueryCommand({
          TableName: store.botStateTable,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": "RUN#hc-retention" },
        }),
      )
    ).Items!;
    const days = (sk: string) =>
      (Number(items.find((i) => i.sk === sk)!.expiresAt) - at.getTime() / 1000) / 86_400;
    expect(RUN_RETENTION_DAYS).toBe(90);
    expect(days("RUN")).toBe(90);
    expect(days("CHECKED#+998900009999")).toBe(RUN_MARK_RETENTION_DAYS);
  });

  it("refuses a bad --limit or --since with exit 2, reading nothing", async () => {
    const bad = await runCli(["history", "--limit", "ten"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit must be a whole number, at least 1 (got "ten").');
    const since = await runCli(["history", "--since", "yesterday"], { env });
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since "yesterday" is not a time.');
  });
});

describe("sessions audit", () => {
  it("shows who did what to which session, newest first, filtered by phone, actor and time", async () => {
    const s = await createTestStore();
    const e = cliEnv(s, { NO_COLOR: "1" });
    const now = Date.now();
    const at = (hoursAgo: number) => () => new Date(now - hoursAgo * 3_600_000);
    const log = (hoursAgo: number) => new AuditLog(s.doc, s.botStateTable, at(hoursAgo));
    await log(24 * 10).record({ action: "session.created", actor: "tg:42", phone: "+998901234567" });
    await log(30).record({ action: "session.paused", actor: "cli:alice", phone: "+998901234567" });
    await log(5).record({
      action: "session.deleted",
      actor: "tg:42",
      phone: "+998901234568",
      detail: "by the owner",
    });
    await log(1).record({ action: "admin.added", actor: "cli:bob", detail: "user 77" });

    const r = await runCli(["audit"], { env: e });
    expect(r.code).toBe(0);
    const rows = r.stdout.split("\n");
    expect(rows[0]).toMatch(/^TIME \(UTC\)\s+ACTOR\s+ACTION\s+PHONE\s+DETAIL$/);
    expect(rows[1]).toMatch(/cli:bob\s+admin\.added\s+—\s+user 77$/);
    expect(rows[2]).toMatch(/tg:42\s+session\.deleted\s+\+998901234568\s+by the owner$/);
    expect(rows[3]).toMatch(/cli:alice\s+session\.paused\s+\+998901234567/);
    // Ten days ago is outside the default 7 days.
    expect(r.stdout).not.toContain("session.created");
    expect(r.stdout).toContain("3 entries since");

    const phone = JSON.parse(
      (await runCli(["audit", "--phone", "+998 90 123 45 67", "--since", "30d", "--json"], { env: e }))
        .stdout,
    ) as { entries: { action: string; actor: string; phone: string | null }[]; more: number };
    expect(phone.entries.map((x) => x.action)).toEqual(["session.paused", "session.created"]);
    expect(phone.more).toBe(0);

    const cli = JSON.parse((await runCli(["audit", "--actor", "cli", "--json"], { env: e })).stdout) as {
      entries: { actor: string }[];
    };
    expect(cli.entries.map((x) => x.actor)).toEqual(["cli:bob", "cli:alice"]);

    const recent = await runCli(["audit", "--since", "2h", "--limit", "1"], { env: e });
    expect(recent.stdout).toContain("admin.added");
    expect(recent.stdout).not.toContain("session.deleted");

    const limited = await runCli(["audit", "--limit", "1"], { env: e });
    expect(limited.stdout).toContain("1 entry since");
    expect(limited.stdout).toContain("2 more: --limit 3, or a shorter --since.");

    const none = await runCli(["audit", "--actor", "tg:999"], { env: e });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^Nothing in the audit trail since .* UTC \(by tg:999\)\.$/m);

    const bad = await runCli(["audit", "--phone", "not-a-phone"], { env: e });
    expect(bad.code).toBe(2);
  });
});
