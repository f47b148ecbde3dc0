/**
 * DynamoDB faults at every write of the three stateful flows, on DynamoDB Local with a wrapped client
 * (test/support/faults.ts): the add-session login (real userbot layer, fake Telegram), the health check (dispatch,
 * SQS re-deliveries, worker, over the real userbot layer) and the weekly cleanup. Each flow is first run clean to
 * count its writes; then once per write and fault kind (throttling after the SDK's retries, a conditional-check
 * failure) with that write failing, and driven on as its retry would drive it: the admin sends the step again,
 * SQS re-delivers the message, the schedule runs again. Once the dust settles:
 *   - no session lost: every session that existed still exists and its secret still decrypts to what was stored
 *     (unless cleanup legitimately deleted it);
 *   - no lease left past its expiry, and the next use of the session gets in;
 *   - a login Telegram accepted is never lost to a failed write: the retry of the same step finishes it (never a
 *     "wrong code/password" to the right one, a restart only when the flow really was ended meanwhile), audited once;
 *   - nothing half-written: a login completes (or is cancelled/restartable) and leaves no flow behind; a run's
 *     counters add up; each run's summary is sent at most once, and a run that needed the admins reached them.
 * And a Lambda deadline hit in the middle of a check: lease released (or, if even that write fails, expiring on its
 * own), session intact.
 */
import { DeleteCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDispatchHandler } from "../../functions/health-check-dispatch";
import { createWorkerHandler } from "../../functions/health-check-worker";
import { runCleanup } from "../../lib/jobs/cleanup";
import { HealthCheckRuns, InMemoryCheckQueue, noMetrics, type HealthCheckSummary } from "../../lib/jobs";
import { sqsRecord } from "../../lib/jobs/queue";
import { MAX_RECEIVES } from "../../lib/jobs/scale";
import { createLogger } from "../../lib/log";
import type { Phone } from "../../lib/sessions";
import { AuditLog } from "../../lib/bot-state/audit";
import type { LoginOutcome } from "../../lib/telegram/contract";
import { createTestStore, type TestStore } from "../support/dynamo";
import { harness, newPhone, seedSession, type Harness } from "../support/fake-telegram-harness";
import { createHandler } from "../../functions/admin-bot";
import { AdminRepository } from "../../lib/bot-state/admins";
import { FakeBotApi, Updates } from "../support/bot-api";
import { apiGatewayEvent, BOT_TOKEN, WEBHOOK_SECRET } from "../support/bot-harness";
import {
  addFaults,
  faultsFor,
  faultyStore,
  type FaultKind,
  type FaultyClient,
  type FaultyStore,
} from "../support/faults";
import { counters, type ReliabilityCounts } from "../support/reliability-counters";
import { scanLogs } from "../support/reliability-logs";

process.env.LOG_LEVEL = "DEBUG";

let store: TestStore;
let faulty: FaultyStore;
beforeAll(async () => {
  store = await createTestStore();
  faulty = faultyStore(store);
});
afterAll(() => faulty.destroy());

/** A settable clock shared by everything one scenario builds. */
function clockAt(start: string) {
  let t = Date.parse(start);
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

/** The session's row and secret as a clean reader sees them (never through the faulty client). */
async function secretOf(phone: Phone): Promise<string | undefined> {
  const row = await store.sessions().get(phone);
  if (!row || row.status === "deleted") return undefined;
  return store.sessions().readSessionString(phone);
}

/** Counts sessions that existed with `secret` and no longer do (or whose secret changed). */
async function lost(c: ReliabilityCounts, expected: Map<Phone, string>): Promise<Phone[]> {
  const missing: Phone[] = [];
  for (const [phone, secret] of expected) if ((await secretOf(phone)) !== secret) missing.push(phone);
  c.itemsLost += missing.length;
  return missing;
}

// ------------------------------------------------------------------ (a) the add-session login

describe("faults in the add-session login (startLogin, submitCode, submitPassword)", () => {
  const PASSWORD = "tr0ub4dor&3-rel";

  /** The login as the admin drives it through the bot: each step sent again after a failure they were told of. */
  async function loginAsAdminWould(h: Harness, phone: Phone, clock: ReturnType<typeof clockAt>) {
    let step: "start" | "code" | "password" = "start";
    let restarts = 0;
    let retries = 0;
    let misleading = 0;
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      let out: LoginOutcome;
      try {
        if (step === "start") out = await h.services.login.startLogin(phone, "tg:1001");
        else if (step === "code")
          out = await h.services.login.submitCode(phone, h.fake.codes.get(phone)!.split("").join(" "));
        else out = await h.services.login.submitPassword(phone, PASSWORD);
      } catch (err) {
        // The bot's error boundary told the admin "something went wrong"; they send the same step again.
        seen.push(`${step}: threw ${(err as Error).name}`);
        retries++;
        clock.advance(61_000);
        await coherent(phone);
        continue;
      }
      seen.push(`${step}: ${out.kind}`);
      await coherent(phone);
      switch (out.kind) {
        case "code-sent":
          step = "code";
          break;
        case "password-needed":
          step = "password";
          break;
        case "logged-in":
          return { restarts, retries, misleading, seen };
        case "unavailable":
          // A step claimed by a step that died keeps others out for a minute; then the same step again.
          retries++;
          clock.advance(61_000);
          break;
        case "no-flow":
        case "code-expired":
        case "too-many-attempts":
          restarts++;
          step = "start";
          break;
        case "wrong-code":
        case "wrong-password":
          // The admin typed the right one. This answer would come if a storage write failed after Telegram had
          // already accepted the code or password and the retry asked Telegram again, which no longer accepts it
          // (the login marks the flow signed in first; the test asserts `misleading` stays 0). The admin cancels
          // and starts again.
          misleading++;
          restarts++;
          await h.services.login.cancel(phone);
          step = "start";
          break;
        default:
          throw new Error(`unexpected outcome ${out.kind}: ${seen.join(" → ")}`);
      }
    }
    throw new Error(`the login never completed: ${seen.join(" → ")}`);
  }

  /** The audit entries of logins of `phone` between two times (the trail is kept by UTC day). */
  async function auditedLogins(phone: Phone, from: Date, to: Date): Promise<number> {
    const log = new AuditLog(store.doc, store.botStateTable);
    let entries = 0;
    for (let day = Date.parse(from.toISOString().slice(0, 10)); day <= to.getTime(); day += 86_400_000) {
      const all = await log.day(new Date(day).toISOString().slice(0, 10));
      entries += all.filter(
        (e) => e.phone === phone && (e.action === "session.created" || e.action === "session.relogin"),
      ).length;
    }
    return entries;
  }

  /** Nothing half-written: a session row is whole (active, secret readable); a flow is whole (secret readable). */
  async function coherent(phone: Phone): Promise<void> {
    const row = await store.sessions().get(phone);
    if (row) {
      expect(row.status).toBe("active");
      expect((await store.sessions().readSessionString(phone)).length).toBeGreaterThan(100);
    }
    const flow = await store.doc.send(
      new QueryCommand({
        TableName: store.botStateTable,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `LOGIN#${phone}` },
        ConsistentRead: true,
      }),
    );
    for (const item of flow.Items ?? []) {
      expect(["code", "password"]).toContain(item.step);
      const secret = await store.cipher.decrypt(String(item.flowSecretCiphertext), {
        purpose: "login",
        id: phone,
      });
      expect(JSON.parse(secret)).toMatchObject({
        session: expect.any(String),
        phoneCodeHash: expect.any(String),
      });
    }
  }

  function scenario(twoFactor: boolean) {
    // Ahead of the real clock: DynamoDB Local's TTL really deletes items whose expiresAt has passed.
    const clock = clockAt(new Date(Date.now() + 86_400_000).toISOString());
    const h = harness(store, {
      logLevel: "DEBUG",
      sessions: faulty.sessions({ now: clock.now }),
      doc: faulty.doc,
      audit: new AuditLog(faulty.doc, store.botStateTable, clock.now),
      now: clock.now,
    });
    const phone = newPhone();
    h.fake.addAccount({
      phone,
      userId: 6100,
      username: "rel",
      ...(twoFactor ? { password: PASSWORD, hint: "rel" } : {}),
    });
    return { h, phone, clock };
  }

  it(
    "at every write, with throttling or a conditional-check failure, the login completes once and leaves no flow",
    { timeout: 180_000 },
    async (ctx) => {
      const c = counters(ctx);
      const harnesses: Harness[] = [];
      const figures = await scanLogs(
        c,
        () => [
          PASSWORD,
          ...harnesses.flatMap((h) => [...h.fake.codes.values(), ...h.fake.codeHashes.values()]),
        ],
        async () => {
          // Two logins: without 2FA (start, code) and with it (start, code, password). Every write of the first gets
          // every fault; the second's own writes (the password step's, from its third write on) get throttled. The
          // 2FA login is the costly one (SRP), so it is not faulted where the first already was.
          const plan: { twoFactor: boolean; n: number; kind: FaultKind }[] = [];
          let writes = 0;
          // The code step's write that marks the flow signed in: the second update of the flow (after its claim).
          let markWrite = 0;
          for (const twoFactor of [false, true]) {
            const clean = scenario(twoFactor);
            harnesses.push(clean.h);
            faulty.reset();
            const baseline = await loginAsAdminWould(clean.h, clean.phone, clean.clock);
            expect(baseline, baseline.seen.join(" → ")).toMatchObject({ restarts: 0, retries: 0 });
            writes += faulty.writes.length;
            const cleanWrites = [...faulty.writes];
            if (!twoFactor) {
              const flowUpdates = cleanWrites.filter(
                (w) => w.command === "UpdateItemCommand" && w.target.startsWith("LOGIN#"),
              );
              markWrite = flowUpdates[1]?.n ?? 0;
            }
            for (let n = twoFactor ? 3 : 1; n <= cleanWrites.length; n++) {
              for (const kind of twoFactor ? (["throttle"] as const) : faultsFor(cleanWrites[n - 1]!))
                plan.push({ twoFactor, n, kind });
            }
          }
          expect(writes).toBeGreaterThanOrEqual(12);

          const report: string[] = [];
          const restarted: string[] = [];
          const misled: string[] = [];
          for (const { twoFactor, n, kind } of plan) {
            {
              const s = scenario(twoFactor);
              harnesses.push(s.h);
              faulty.reset();
              faulty.failWrite(n, kind);
              const before = faulty.faultsInjected;
              const started = s.clock.now();
              const result = await loginAsAdminWould(s.h, s.phone, s.clock);
              c.faults += faulty.faultsInjected - before;
              expect(faulty.faultsInjected - before, `write ${n} (${kind}) was reached`).toBe(1);
              report.push(
                `${twoFactor ? "2FA " : ""}write ${n} ${faulty.writes[n - 1]?.command} ${kind}: ${result.seen.join(" → ")}`,
              );
              if (result.restarts > 0) restarted.push(report.at(-1)!);
              if (result.misleading > 0) misled.push(report.at(-1)!);
              // Completed exactly once: one active session whose secret is the key Telegram signed in...
              const row = await store.sessions().require(s.phone);
              expect(row).toMatchObject({ status: "active", account: { userId: "6100" } });
              const check = await s.h
                .another()
                .userbots.checkSession(s.phone, { deadlineMs: 5_000, actor: "test" });
              expect(check, report.at(-1)).toMatchObject({ outcome: "healthy" });
              // ...no flow left behind, and at most one restart from the phone number.
              await coherent(s.phone);
              // A throttled write left nothing behind. A conditional-check failure on the flow's delete means "the login
              // was restarted meanwhile", whose flow is left alone: it may stay (coherent, checked above) until it expires.
              if (kind === "throttle")
                expect(await s.h.services.login.getFlow(s.phone), report.at(-1)).toBeUndefined();
              expect(result.restarts, report.at(-1)).toBeLessThanOrEqual(1);
              // Recorded exactly once, whichever write failed (the audit entry and the flow's end are one write).
              expect(await auditedLogins(s.phone, started, s.clock.now()), report.at(-1)).toBe(1);
              // A key signed in but not stored (the restarted login's) is logged out; no other key is.
              const logOuts = s.h.fake.calls.filter((call) => call.request === "auth.LogOut");
              expect(logOuts, report.at(-1)).toHaveLength(result.restarts);
              c.inputs++;
            }
          }
          return { report, restarted, misled, markWrite };
        },
      );
      // Figures for the report: faulted logins that had to start again, and those told "wrong" to the right answer.
      console.log(
        `Login faults: ${figures.report.length} scenarios, ${figures.restarted.length} restarted from the phone number, ` +
          `${figures.misled.length} answered "wrong code/password" to the right one` +
          (figures.misled.length ? `:\n${figures.misled.join("\n")}` : "") +
          (figures.restarted.length ? `\nrestarted: ${figures.restarted.join("\nrestarted: ")}` : ""),
      );
      // Telegram takes a code or password once: after it has, no failed write may cost the admin the login.
      expect(figures.misled, 'told "wrong" to the right code or password').toEqual([]);
      // The one restart that is by design: a conditional-check failure on the signed-in mark is DynamoDB saying the
      // flow was cancelled or restarted while Telegram signed the key in. That cancel wins: the key is logged out,
      // nothing is stored, the step answers no-flow, and the admin starts again. Every other failed write is finished
      // by the retry of the same step, without asking Telegram again.
      expect(figures.restarted, "restarted from the phone number").toEqual(
        figures.report.filter((line) =>
          line.startsWith(`write ${figures.markWrite} UpdateItemCommand condition:`),
        ),
      );
      expect(figures.restarted).toHaveLength(1);
    },
  );
});

// ------------------------------------------------------------------ (b) the health check

describe("faults in the health check (dispatch, worker, summary)", () => {
  /** Summaries by run id over the whole test: each run's at most once. */
  const summaries = new Map<string, HealthCheckSummary[]>();
  let epoch = Date.parse("2027-01-01T03:00:00.000Z");

  let hs: TestStore;
  let hf: FaultyStore;
  beforeAll(async () => {
    hs = await createTestStore();
    hf = faultyStore(hs);
  });
  afterAll(() => hf.destroy());

  async function fleet() {
    // Each scenario lives on its own days, so one scenario's runs are long closed when the next starts.
    epoch += 30 * 86_400_000;
    const clock = clockAt(new Date(epoch).toISOString());
    const logger = createLogger({ service: "rel-health", level: "DEBUG" });
    const sessions = hf.sessions({ now: clock.now, logger });
    const h = harness(hs, {
      logLevel: "DEBUG",
      sessions,
      doc: hf.doc,
      audit: new AuditLog(hf.doc, hs.botStateTable, clock.now),
      now: clock.now,
    });
    const healthy = await seedSession(h);
    const dead = await seedSession(h);
    const flaky = await seedSession(h);
    h.fake.failOn(dead, "users.GetUsers", { error: [401, "AUTH_KEY_UNREGISTERED"] }, 99);
    h.fake.failOn(flaky, "users.GetUsers", { error: [-503, "Timeout"] }, 1);
    const secrets = new Map<Phone, string>();
    for (const p of [healthy, dead, flaky]) secrets.set(p, await hs.sessions().readSessionString(p));
    const queue = new InMemoryCheckQueue();
    const common = {
      sessions,
      runs: new HealthCheckRuns(hf.doc, hs.botStateTable, clock.now),
      logger,
      metrics: noMetrics,
      now: clock.now,
      notify: (s: HealthCheckSummary) => {
        summaries.set(s.runId, [...(summaries.get(s.runId) ?? []), s]);
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
    const context = { getRemainingTimeInMillis: () => 55_000 };

    /** The schedule fires (and, after a failed invocation, fires again: Lambda's async retries). */
    async function schedule(scheduledTime: string): Promise<number> {
      let failures = 0;
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await dispatch({ scheduledTime });
          return failures;
        } catch {
          failures++;
        }
      }
      throw new Error("dispatch failed three times");
    }

    /** SQS: every message delivered, a failed one (or a whole failed invocation) re-delivered, up to MAX_RECEIVES. */
    async function deliver(): Promise<{ redeliveries: number; dlq: number }> {
      let pending: { record: SQSRecord; receives: number }[] = queue
        .drain(10)
        .flatMap((e: SQSEvent) => e.Records.map((record) => ({ record, receives: 1 })));
      let redeliveries = 0;
      let dlq = 0;
      while (pending.length > 0) {
        const next: typeof pending = [];
        for (let i = 0; i < pending.length; i += 10) {
          const batch = pending.slice(i, i + 10).map((p) => ({
            ...p,
            record: { ...sqsRecord(p.record.body, p.receives), messageId: p.record.messageId },
          }));
          let failed: Set<string>;
          try {
            const out: SQSBatchResponse = await worker({ Records: batch.map((b) => b.record) }, context);
            failed = new Set(out.batchItemFailures.map((f) => f.itemIdentifier));
          } catch {
            failed = new Set(batch.map((b) => b.record.messageId));
          }
          for (const b of batch) {
            if (!failed.has(b.record.messageId)) continue;
            if (b.receives >= MAX_RECEIVES) dlq++;
            else next.push({ record: b.record, receives: b.receives + 1 });
          }
        }
        redeliveries += next.length;
        pending = next;
      }
      return { redeliveries, dlq };
    }

    return { clock, h, healthy, dead, flaky, secrets, schedule, deliver, runs: common.runs };
  }

  async function runRecord(runId: string) {
    return hs.doc.send(
      new QueryCommand({
        TableName: hs.botStateTable,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": `RUN#${runId}` },
        ConsistentRead: true,
      }),
    );
  }

  /** A run's counters add up: every processed message has exactly one outcome and one CHECKED marker. */
  async function countersAddUp(runId: string) {
    const items = (await runRecord(runId)).Items ?? [];
    const run = items.find((i) => i.sk === "RUN");
    expect(run, `run ${runId} exists`).toBeDefined();
    const r = run as Record<string, number>;
    const outcomes =
      r.healthy! + r.failed! + r.floodWaited! + r.transient! + (r.frozen ?? 0) + r.skipped! + r.gaveUp!;
    expect(r.processed).toBe(outcomes);
    expect(r.checked).toBe(r.processed! - r.skipped! - r.gaveUp!);
    expect(items.filter((i) => String(i.sk).startsWith("CHECKED#"))).toHaveLength(r.processed!);
    return run!;
  }

  it(
    "at every write, with throttling or a conditional-check failure: nothing lost, no lease stuck, counters add up, one summary per run",
    { timeout: 180_000 },
    async (ctx) => {
      const c = counters(ctx);
      const harnesses: Harness[] = [];
      const allSecrets: string[] = [];
      await scanLogs(
        c,
        () => allSecrets,
        async () => {
          const plan: { n: number; kind: FaultKind | undefined }[] = [{ n: 0, kind: undefined }];
          let writes = 0;
          for (let i = 0; i < plan.length; i++) {
            const { n, kind } = plan[i]!;
            const f = await fleet();
            harnesses.push(f.h);
            allSecrets.push(...f.secrets.values());
            hf.reset();
            if (kind) hf.failWrite(n, kind);
            const before = hf.faultsInjected;
            const day1 = new Date(f.clock.now()).toISOString();
            const runId = `hc-${day1.replace(/\.\d{3}Z$/, "Z")}`;

            await f.schedule(day1);
            await f.deliver();
            if (!kind) {
              // The clean run: count its writes, and plan one scenario per write and fault kind.
              writes = hf.writes.length;
              expect(writes).toBeGreaterThanOrEqual(15);
              for (let w = 1; w <= writes; w++)
                for (const k of faultsFor(hf.writes[w - 1]!)) plan.push({ n: w, kind: k });
            } else {
              expect(hf.faultsInjected - before, `write ${n} (${kind}) was reached`).toBe(1);
              c.faults += 1;
            }
            const label = kind
              ? `write ${n} ${hf.writes[n - 1]?.command} (${hf.writes[n - 1]?.target}) ${kind}`
              : "clean";

            // No lease outlives its expiry: any lease left is bounded by the longest a check may hold one.
            for (const phone of f.secrets.keys()) {
              const row = await hs.sessions().require(phone);
              if (row.leaseUntil) {
                expect(Date.parse(row.leaseUntil) - f.clock.now().getTime(), label).toBeLessThanOrEqual(
                  60_000,
                );
              }
            }
            if (kind !== "condition") await countersAddUp(runId);
            // The fleet counter moved with every row the faulted run changed, or not at all (issue 19).
            expect((await hs.sessions({ now: f.clock.now }).recountFleet()).drift, label).toEqual({});

            // The next day's schedule: an unfinished run is closed and told; every session is checked again.
            f.clock.advance(86_400_000);
            const day2 = f.clock.now().toISOString();
            await f.schedule(day2);
            await f.deliver();

            const missing: Phone[] = [];
            for (const [phone, secret] of f.secrets) {
              const row = await hs.sessions().get(phone);
              if (
                !row ||
                row.status === "deleted" ||
                (await hs.sessions().readSessionString(phone)) !== secret
              )
                missing.push(phone);
            }
            c.itemsLost += missing.length;
            expect(missing, label).toEqual([]);
            if (kind !== "condition") {
              const run1 = await countersAddUp(runId);
              expect(run1.summaryClaimedAt, `${label}: day 1 summarised`).toBeDefined();
              // The dead session made day 1 need the admins: they heard exactly once.
              expect(summaries.get(runId) ?? [], label).toHaveLength(1);
            } else {
              // A conditional-check failure says another invocation did the write (e.g. the schedule event came twice
              // and the other one opened the run); the run may then be the other's to finish. Still: never twice.
              if ((await runRecord(runId)).Items?.length) await countersAddUp(runId);
              expect((summaries.get(runId) ?? []).length, label).toBeLessThanOrEqual(1);
            }
            expect((await hs.sessions().require(f.dead)).status).toBe("error");
            // The healthy one was checked on day 2: no lease (or anything else) kept it out.
            expect((await hs.sessions().require(f.healthy)).lastCheckedAt, label).toBe(day2);
            for (const phone of f.secrets.keys()) {
              const row = await hs.sessions().require(phone);
              expect(!row.leaseUntil || row.leaseUntil <= f.clock.now().toISOString(), label).toBe(true);
            }
            c.inputs++;
            // This scenario's sessions and run list leave the tables, so the next scenario's dispatch queues only its
            // own sessions and closes no earlier run (its writes are then numbered as in the clean run).
            for (const phone of f.secrets.keys()) await hs.sessions().delete(phone);
            const list = await hs.doc.send(
              new QueryCommand({
                TableName: hs.botStateTable,
                KeyConditionExpression: "pk = :pk",
                ExpressionAttributeValues: { ":pk": "RUNS" },
              }),
            );
            for (const item of list.Items ?? [])
              await hs.doc.send(
                new DeleteCommand({ TableName: hs.botStateTable, Key: { pk: item.pk, sk: item.sk } }),
              );
          }
          for (const [runId, sent] of summaries) expect(sent, runId).toHaveLength(1);
        },
      );
    },
  );
});

// ------------------------------------------------------------------ (c) cleanup

describe("faults in the weekly cleanup", () => {
  it(
    "at every write: the old error sessions end deleted (and audited), every other session intact",
    { timeout: 180_000 },
    async (ctx) => {
      const c = counters(ctx);
      const secrets: string[] = [];
      await scanLogs(
        c,
        () => secrets,
        async () => {
          const plan: { n: number; kind: FaultKind | undefined }[] = [{ n: 0, kind: undefined }];
          let epoch = Date.parse("2030-01-01T00:00:00.000Z");
          for (let i = 0; i < plan.length; i++) {
            const { n, kind } = plan[i]!;
            epoch += 400 * 86_400_000;
            const longAgo = clockAt(new Date(epoch - 60 * 86_400_000).toISOString());
            const recently = clockAt(new Date(epoch - 2 * 86_400_000).toISOString());
            const h = harness(store, { logLevel: "DEBUG" });
            const make = async (at: ReturnType<typeof clockAt>, status: "active" | "error") => {
              const repo = store.sessions({ now: at.now });
              const phone = newPhone();
              const secret = await h.fake.sessionFor(phone);
              secrets.push(secret);
              await repo.create({ phone, sessionString: secret, account: { userId: "1" } });
              if (status === "error")
                await repo.markError(phone, {
                  message: "AUTH_KEY_UNREGISTERED: gone",
                  code: "AUTH_KEY_UNREGISTERED",
                });
              return [phone, secret] as const;
            };
            const old = [
              await make(longAgo, "error"),
              await make(longAgo, "error"),
              await make(longAgo, "error"),
            ];
            const keep = new Map([await make(recently, "error"), await make(longAgo, "active")]);
            const now = () => new Date(epoch);
            const sessions = faulty.sessions({ now });
            const auditLog = new AuditLog(faulty.doc, store.botStateTable, now);
            const deps = {
              sessions,
              audit: auditLog,
              // The real userbot layer on the faulty client: each key is logged out at Telegram before it goes.
              userbots: h.another({ sessions, audit: auditLog, doc: faulty.doc, now }).userbots,
              logger: createLogger({ service: "rel-cleanup", level: "DEBUG" }),
              metrics: noMetrics,
              now,
            };
            faulty.reset();
            if (kind) faulty.failWrite(n, kind);
            const before = faulty.faultsInjected;
            // The schedule runs until a run completes (a failed one is retried; a run that kept one is run again).
            let runs = 0;
            for (; runs < 4; runs++) {
              try {
                const result = await runCleanup(deps, { olderThanDays: 30 });
                if (result.kept.length === 0) break;
              } catch {
                // the schedule's retry
              }
            }
            if (!kind) {
              const writes = faulty.writes.length;
              // Per deletion: the lease, then one transaction (the tombstone and its audit entry together).
              expect(writes).toBeGreaterThanOrEqual(6);
              for (let w = 1; w <= writes; w++)
                for (const k of faultsFor(faulty.writes[w - 1]!)) plan.push({ n: w, kind: k });
            } else {
              expect(faulty.faultsInjected - before).toBe(1);
              c.faults += 1;
            }
            const label = kind ? `write ${n} ${faulty.writes[n - 1]?.command} ${kind}` : "clean";
            expect(await lost(c, keep), label).toEqual([]);
            expect((await store.sessions({ now }).recountFleet()).drift, `${label}: fleet counter`).toEqual(
              {},
            );
            for (const [phone, secret] of old) {
              const row = await store.sessions().get(phone);
              expect(row?.status, label).toBe("deleted");
              // Logged out at Telegram before its ciphertext was destroyed: never destroyed here, alive there.
              expect(await h.fake.isLoggedIn(secret), `${label}: ${phone} logged out`).toBe(false);
              expect(row?.revocation?.state, label).toMatch(/^(logged-out|already-dead)$/);
              expect(
                await store
                  .sessions()
                  .readSessionString(phone)
                  .catch(() => "gone"),
                label,
              ).toBe("gone");
            }
            // Every deletion is in the audit trail exactly once: the delete and its entry are one transaction (an
            // earlier version wrote them apart, and a failed audit write left a deletion unrecorded for good).
            const day = new Date(epoch).toISOString().slice(0, 10);
            const audit = await new AuditLog(store.doc, store.botStateTable).day(day);
            for (const [phone] of old) {
              const entries = audit.filter((e) => e.phone === phone && e.action === "cleanup.deleted");
              expect(entries.length, `${label}: ${phone} audited`).toBe(1);
            }
            c.inputs++;
            for (const phone of keep.keys()) await store.sessions().delete(phone);
          }
        },
      );
    },
  );
});

// ------------------------------------------------------------------ a Lambda deadline in the middle of a check

describe("a check that outlives its deadline", () => {
  it("releases the lease and keeps the session; if even the release fails, the lease expires and the next check gets in", async (ctx) => {
    const c = counters(ctx);
    const secrets: string[] = [];
    await scanLogs(
      c,
      () => secrets,
      async () => {
        const clock = clockAt(new Date(Date.now() + 86_400_000).toISOString());
        const h = harness(store, {
          logLevel: "DEBUG",
          sessions: faulty.sessions({ now: clock.now }),
          doc: faulty.doc,
          now: clock.now,
        });
        const phone = await seedSession(h);
        const secret = (await secretOf(phone))!;
        secrets.push(secret);

        // 1. Telegram hangs; the check's deadline passes first.
        h.fake.failOn(phone, "users.GetUsers", { hang: true });
        faulty.reset();
        const first = await h.services.userbots.checkSession(phone, { deadlineMs: 400, actor: "rel" });
        c.faults++;
        expect(first).toMatchObject({ outcome: "transient", failure: { code: "TIMEOUT" } });
        let row = await store.sessions().require(phone);
        expect(row.leaseUntil).toBeUndefined();
        expect(row).toMatchObject({ status: "active", consecutiveFailures: 1 });
        expect(h.fake.stats.destroyed).toBe(h.fake.stats.created);

        // 2. Telegram hangs again, and the lease's release is throttled as well.
        h.fake.failOn(phone, "users.GetUsers", { hang: true });
        faulty.reset();
        faulty.failWrite(3, "throttle"); // acquireLease, recordCheck, releaseLease
        await expect(
          h.services.userbots.checkSession(phone, { deadlineMs: 400, actor: "rel" }),
        ).rejects.toThrow(/Rate of requests/);
        c.faults += 2;
        expect(faulty.writes.map((w) => w.command)).toEqual([
          "UpdateItemCommand",
          "UpdateItemCommand",
          "UpdateItemCommand",
        ]);
        row = await store.sessions().require(phone);
        expect(row.leaseUntil).toBeDefined();
        expect(Date.parse(row.leaseUntil!) - clock.now().getTime()).toBeLessThanOrEqual(400 + 5_000 + 30_000);
        // While it lasts, nobody connects on the key.
        expect(
          await h.services.userbots.checkSession(phone, { deadlineMs: 400, actor: "rel" }),
        ).toMatchObject({
          outcome: "skipped",
          reason: "leased",
        });
        // Once it has expired, the next check gets in, finds the session healthy and leaves no lease.
        clock.advance(36_000);
        expect(
          await h.services.userbots.checkSession(phone, { deadlineMs: 2_000, actor: "rel" }),
        ).toMatchObject({
          outcome: "healthy",
        });
        row = await store.sessions().require(phone);
        expect(row.leaseUntil).toBeUndefined();
        expect(row).toMatchObject({ status: "active", consecutiveFailures: 0 });
        expect(await lost(c, new Map([[phone, secret]]))).toEqual([]);
        c.inputs += 4;
      },
    );
  });
});

// ------------------------------------------------------------------ (d) the webhook's processed-once marker

describe("faults in the webhook's processed-once marker", () => {
  const owner = { id: 4_310_001, is_bot: false, first_name: "Owner", language_code: "en" } as const;
  // One source of update ids for every handler below: the tables are shared, and so are the processed-once marks.
  const updates = new Updates();

  /** The real admin-bot handler on the shared tables, its DynamoDB client faulted, Telegram's Bot API faked. */
  async function webhook() {
    const api = new FakeBotApi();
    let faults: FaultyClient | undefined;
    const clock = clockAt(new Date(Math.floor(Date.now() / 1000) * 1000).toISOString());
    const handler = createHandler({
      env: { ...store.env, BOT_TOKEN, WEBHOOK_SECRET },
      configureApi: (a) => a.config.use(api.transformer),
      configureDynamo: (client) => {
        faults = addFaults(client);
      },
      now: clock.now,
    });
    // The first call builds the container (reads the bot's info): done before any fault is planned.
    await handler(apiGatewayEvent(updates.text(owner, "/help"), WEBHOOK_SECRET));
    return { api, handler, clock, faults: () => faults! };
  }

  it(
    "at every write of /start: an answer the admin got is a 200, and no update is answered twice",
    { timeout: 120_000 },
    async (ctx) => {
      const c = counters(ctx);
      await new AdminRepository(store.doc, store.botStateTable).add({
        userId: String(owner.id),
        role: "owner",
        addedBy: "cli",
      });
      const clean = await webhook();
      clean.faults().reset();
      const before = clean.api.callsOf("sendMessage").length;
      expect(
        (await clean.handler(apiGatewayEvent(updates.text(owner, "/start"), WEBHOOK_SECRET))).statusCode,
      ).toBe(200);
      expect(clean.api.callsOf("sendMessage").length - before).toBe(1);
      const cleanWrites = [...clean.faults().writes];
      expect(cleanWrites.length).toBeGreaterThanOrEqual(1);

      const report: string[] = [];
      await scanLogs(
        c,
        () => [BOT_TOKEN, WEBHOOK_SECRET],
        async () => {
          for (const write of cleanWrites) {
            for (const kind of faultsFor(write)) {
              for (const afterLanding of [false, true]) {
                const w = await webhook();
                const update = updates.text(owner, "/start");
                const sent = () => w.api.callsOf("sendMessage").length;
                const start = sent();
                w.faults().reset();
                w.faults().failWrite(write.n, kind, { afterLanding });
                const line = `write ${write.n} ${write.command} ${write.target.split("/")[0]} ${kind}${afterLanding ? " after landing" : ""}`;
                // Delivered as Telegram delivers: again after anything but a 2xx, a minute later.
                const answers: number[] = [];
                for (let i = 0; i < 4 && answers.at(-1) !== 200; i++) {
                  if (i > 0) w.clock.advance(61_000);
                  const before = sent();
                  const out = await w.handler(apiGatewayEvent(update, WEBHOOK_SECRET));
                  answers.push(out.statusCode ?? 0);
                  // Whatever failed after the admin got the answer, Telegram must not deliver it again.
                  if (sent() > before)
                    expect(out.statusCode, `${line}: answered, then ${out.statusCode}`).toBe(200);
                }
                expect(w.faults().faultsInjected, `${line}: reached`).toBe(1);
                c.faults++;
                expect(answers.at(-1), `${line}: ${answers.join(" → ")}`).toBe(200);
                // A duplicate of the finished update (a response Telegram never got) changes nothing.
                await w.handler(apiGatewayEvent(update, WEBHOOK_SECRET));
                expect(sent() - start, `${line}: replies`).toBe(1);
                report.push(`${line}: ${answers.join(" → ")}`);
                c.inputs++;
              }
            }
          }
        },
      );
      console.log(`Webhook marker faults:\n${report.join("\n")}`);
    },
  );
});
