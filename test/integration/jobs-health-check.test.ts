import { Metrics } from "@aws-lambda-powertools/metrics";
import type { SQSEvent } from "aws-lambda";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { createDispatchHandler } from "../../functions/health-check-dispatch";
import { createWorkerHandler } from "../../functions/health-check-worker";
import { renderHealthSummary } from "../../lib/bot/health-summary";
import { LOCALES } from "../../lib/bot/locales";
import { checkAll, type CheckProgress } from "../../lib/jobs/check-all";
import { powertoolsMetrics } from "../../lib/jobs/metrics";
import { InMemoryCheckQueue, sqsRecord } from "../../lib/jobs/queue";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import { MAX_RECEIVES } from "../../lib/jobs/scale";
import type { HealthCheckSummary } from "../../lib/jobs/summary";
import { createLogger } from "../../lib/log";
import { normalizePhone, type Phone } from "../../lib/sessions";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { FakeUserbots } from "../support/fake-checks";

const SESSION_STRING = `1${"C".repeat(230)}healthSecretTail==`;
let seq = 0;
function nextPhone(): Phone {
  seq += 1;
  return normalizePhone(`+99894${String(1_000_000 + seq).slice(-7)}`);
}

/** The run bookkeeping, with the next `faults` outcome writes failing as DynamoDB throttling would. */
class RunsWithFaults extends HealthCheckRuns {
  faults = 0;
  override async count(...args: Parameters<HealthCheckRuns["count"]>): Promise<boolean> {
    if (this.faults > 0) {
      this.faults -= 1;
      throw new Error(
        "ProvisionedThroughputExceededException: rate of requests exceeds the allowed throughput",
      );
    }
    return super.count(...args);
  }
}

/** Everything one test's fleet runs on: real tables, the real handlers, a scripted Telegram. */
async function fleet(start = new Date("2026-11-27T00:00:00Z")) {
  const store: TestStore = await createTestStore();
  let now = start;
  const clock = () => now;
  const logger = createLogger({ service: "test", level: "INFO" });
  const sessions = store.sessions({ now: clock, logger });
  const userbots = new FakeUserbots(sessions, clock, logger);
  const runs = new RunsWithFaults(store.doc, store.botStateTable, clock);
  const queue = new InMemoryCheckQueue();
  const summaries: HealthCheckSummary[] = [];
  let notifierOutages = 0;
  const common = {
    sessions,
    runs,
    logger,
    now: clock,
    metrics: powertoolsMetrics(new Metrics({ namespace: "SessionKeeperTest", serviceName: "test" })),
    notify: (summary: HealthCheckSummary) => {
      if (notifierOutages > 0) {
        notifierOutages -= 1;
        return Promise.reject(new Error("Bot API answered 502 Bad Gateway"));
      }
      summaries.push(summary);
      return Promise.resolve();
    },
  };
  let remainingMs = 55_000;
  const dispatch = createDispatchHandler(() => ({ ...common, queue }));
  const worker = createWorkerHandler(() => ({
    ...common,
    userbots,
    concurrency: 4,
    checkDeadlineMs: 20_000,
  }));
  const context = { getRemainingTimeInMillis: () => remainingMs };
  return {
    store,
    sessions,
    userbots,
    runs,
    queue,
    summaries,
    dispatch,
    /** One worker invocation, with the event as Lambda would serialise it. */
    work: (event: SQSEvent) => worker(JSON.parse(JSON.stringify(event)) as SQSEvent, context),
    /** Feeds everything queued to the worker, `batchSize` messages per invocation. */
    async drain(batchSize = 10) {
      const responses = [];
      for (const event of queue.drain(batchSize)) responses.push(await worker(event, context));
      return responses;
    },
    async add(): Promise<Phone> {
      const phone = nextPhone();
      await sessions.create({
        phone,
        sessionString: SESSION_STRING,
        account: { userId: String(9000 + seq) },
      });
      return phone;
    },
    setNow: (d: Date) => (now = d),
    /** The next `n` summaries fail to reach the admins. */
    failNotifications: (n: number) => (notifierOutages = n),
    setRemainingMs: (ms: number) => (remainingMs = ms),
  };
}

describe("the daily health check (dispatch + workers)", () => {
  it("leaves a mixed fleet in the right states and sends the admins one summary naming the newly failed", async () => {
    const f = await fleet();
    const healthy = [await f.add(), await f.add(), await f.add()];
    const dead = await f.add();
    const deactivated = await f.add();
    const floods = await f.add();
    const timesOut = await f.add();
    const timesOutThirdTime = await f.add();
    const alreadyWaiting = await f.add();
    const paused = await f.add();
    const leasedBefore = await f.add();
    const leasedAfterDispatch = await f.add();

    healthy.forEach((p, i) =>
      f.userbots.answer(p, { answer: "ok", userId: String(100 + i), username: `fleet${i}` }),
    );
    f.userbots.answer(dead, { answer: "rpc-error", code: "AUTH_KEY_UNREGISTERED" });
    f.userbots.answer(deactivated, { answer: "rpc-error", code: "USER_DEACTIVATED" });
    f.userbots.answer(floods, { answer: "rpc-error", code: "FLOOD_WAIT", seconds: 3600 });
    f.userbots.answer(timesOut, { answer: "timeout" });
    f.userbots.answer(timesOutThirdTime, { answer: "timeout" });
    const v = (await f.sessions.require(timesOutThirdTime)).version;
    await f.sessions.recordCheck(timesOutThirdTime, v, { consecutiveFailures: 2 });
    const w = (await f.sessions.require(alreadyWaiting)).version;
    await f.sessions.recordCheck(alreadyWaiting, w, { floodWaitUntil: "2026-11-27T06:00:00.000Z" });
    await f.sessions.pause(paused);
    await f.sessions.acquireLease(leasedBefore, "check-now:tg:1001", 60_000);

    const { result: dispatched, output } = await captureOutput(async () => {
      const result = await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
      // An admin presses "Check now" on a session after it was queued: the worker must keep its hands off.
      await f.sessions.acquireLease(leasedAfterDispatch, "check-now:tg:1001", 60_000);
      const responses = await f.drain(3);
      return { ...result, responses };
    });

    expect(dispatched).toMatchObject({
      runId: "hc-2026-11-27T00:00:00Z",
      started: true,
      queued: 9,
      notQueued: { floodWait: 1, leased: 1 },
    });
    expect(dispatched.responses).toHaveLength(3);
    for (const r of dispatched.responses) expect(r.batchItemFailures).toEqual([]);

    for (const [i, phone] of healthy.entries()) {
      expect(await f.sessions.get(phone)).toMatchObject({
        status: "active",
        lastCheckedAt: "2026-11-27T00:00:00.000Z",
        account: { userId: String(100 + i), username: `fleet${i}` },
      });
    }
    expect(await f.sessions.get(dead)).toMatchObject({
      status: "error",
      isPaused: true,
      lastErrorCode: "AUTH_KEY_UNREGISTERED",
      lastError: expect.stringMatching(/^AUTH_KEY_UNREGISTERED: session expired or revoked/) as unknown,
    });
    expect(await f.sessions.get(deactivated)).toMatchObject({
      status: "error",
      lastErrorCode: "USER_DEACTIVATED",
    });
    expect(await f.sessions.get(floods)).toMatchObject({
      status: "active",
      floodWaitUntil: "2026-11-27T01:00:00.000Z",
    });
    expect(await f.sessions.get(timesOut)).toMatchObject({ status: "active", consecutiveFailures: 1 });
    expect(await f.sessions.get(timesOutThirdTime)).toMatchObject({
      status: "error",
      lastErrorCode: "CONSECUTIVE_FAILURES",
    });
    for (const untouched of [alreadyWaiting, paused, leasedBefore, leasedAfterDispatch]) {
      expect(f.userbots.connections.get(untouched)).toBeUndefined();
    }
    expect(await f.sessions.get(paused)).toMatchObject({ status: "paused" });
    // The other invocation's lease is still its own.
    expect(await f.sessions.get(leasedAfterDispatch)).toMatchObject({ leaseOwner: "check-now:tg:1001" });

    expect(f.summaries).toHaveLength(1);
    const summary = f.summaries[0]!;
    expect(summary.runId).toBe("hc-2026-11-27T00:00:00Z");
    expect(summary.newlyFailed.map((s) => s.phone).sort()).toEqual(
      [dead, deactivated, timesOutThirdTime].sort(),
    );
    expect(summary.newlyFailed.find((s) => s.phone === dead)).toMatchObject({
      code: "AUTH_KEY_UNREGISTERED",
      reason: expect.stringContaining("log in again") as unknown,
    });
    expect(summary.failedByReason).toEqual({
      AUTH_KEY_UNREGISTERED: 1,
      USER_DEACTIVATED: 1,
      CONSECUTIVE_FAILURES: 1,
    });
    expect(summary.counts).toEqual({
      checked: 8,
      healthy: 3,
      failed: 3,
      floodWaited: 1,
      transient: 1,
      frozen: 0,
      skipped: 1,
      gaveUp: 0,
    });
    expect(summary.notQueued).toEqual({ floodWait: 1, leased: 1 });
    expect(summary.fleet).toEqual({ active: 8, paused: 1, error: 3, deleted: 0 });

    // SEED.md's log lines, structured, with the phone; and never the session string.
    expect(output).toMatch(new RegExp(`"message":"Session OK"[^\\n]*"phone":"\\${healthy[0]}"`));
    expect(output).toMatch(
      new RegExp(`"message":"Session failed"[^\\n]*"phone":"\\${dead}"[^\\n]*"code":"AUTH_KEY_UNREGISTERED"`),
    );
    expect(output).not.toContain("healthSecretTail");
    // Each worker invocation flushed its counts as EMF.
    const emf = output
      .split("\n")
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, number | string>);
    const sum = (name: string, filter: (m: Record<string, unknown>) => boolean = () => true) =>
      emf.filter((m) => name in m && filter(m)).reduce((n, m) => n + Number(m[name]), 0);
    expect(sum("SessionsChecked")).toBe(8);
    expect(sum("SessionsHealthy")).toBe(3);
    expect(sum("SessionsFailed", (m) => m.reason === "AUTH_KEY_UNREGISTERED")).toBe(1);
    expect(sum("SessionsFloodWaited")).toBe(1);
    expect(sum("SessionsTransient")).toBe(1);
    expect(sum("SessionsSkipped", (m) => m.reason === "leased")).toBe(2);
    expect(sum("ChecksDispatched")).toBe(9);
    expect(sum("FleetSessions", (m) => m.status === "error")).toBe(3);
    // One duration per session checked (a skip is not a check), in milliseconds: the dashboard's p50/p99.
    const timed = emf.filter((m) => "CheckDuration" in m);
    expect(timed.flatMap((m) => [m.CheckDuration as unknown as number | number[]].flat())).toHaveLength(8);
    expect(JSON.stringify(timed[0]?._aws)).toContain('{"Name":"CheckDuration","Unit":"Milliseconds"}');
  });

  it("is harmless when a message or the schedule event comes twice, and says nothing when nothing changed", async () => {
    const f = await fleet();
    const a = await f.add();
    const b = await f.add();
    const dead = await f.add();
    f.userbots.answer(dead, { answer: "rpc-error", code: "SESSION_REVOKED" });

    await f.dispatch({ time: "2026-11-27T00:00:00Z" });
    const [event] = f.queue.drain();
    await f.work(event!);
    expect(f.summaries).toHaveLength(1);

    // SQS delivers the same batch again (at-least-once): no new connection, no second summary.
    const again = await f.work(event!);
    expect(again.batchItemFailures).toEqual([]);
    expect([a, b, dead].map((p) => f.userbots.connections.get(p))).toEqual([1, 1, 1]);
    expect(f.summaries).toHaveLength(1);

    // EventBridge delivers the same schedule event again: the run is not dispatched twice.
    expect(await f.dispatch({ time: "2026-11-27T00:00:00Z" })).toMatchObject({ started: false, queued: 0 });
    expect(f.queue.size).toBe(0);

    // The next day: every session still active is healthy, the dead one is no longer checked. No message.
    f.setNow(new Date("2026-11-28T00:00:00Z"));
    expect(await f.dispatch({ time: "2026-11-28T00:00:00Z" })).toMatchObject({ queued: 2 });
    await f.drain();
    expect(f.summaries).toHaveLength(1);
    expect(await f.runs.get("hc-2026-11-28T00:00:00Z")).toMatchObject({
      processed: 2,
      healthy: 2,
      finishedAt: "2026-11-28T00:00:00.000Z",
      notified: false,
    });
  });

  it("sends exactly one summary when the last batches finish at the same time", async () => {
    const f = await fleet();
    const dead: Phone[] = [];
    for (let i = 0; i < 8; i += 1) {
      const phone = await f.add();
      if (i % 3 === 0) {
        f.userbots.answer(phone, { answer: "rpc-error", code: "AUTH_KEY_UNREGISTERED" });
        dead.push(phone);
      }
    }
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    // Four invocations running at once, as the event source does with several pollers.
    const responses = await Promise.all(f.queue.drain(2).map((event) => f.work(event)));
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(f.summaries).toHaveLength(1);
    expect(f.summaries[0]!.newlyFailed.map((s) => s.phone).sort()).toEqual(dead.sort());
  });

  it("retries the summary when it could not reach the admins, and still sends it only once", async () => {
    const f = await fleet();
    const dead = await f.add();
    f.userbots.answer(dead, { answer: "rpc-error", code: "USER_DEACTIVATED_BAN" });
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    const [event] = f.queue.drain();
    f.failNotifications(1);

    // The invocation fails as a whole, so SQS delivers the batch again.
    await expect(f.work(event!)).rejects.toThrow("Bot API answered 502 Bad Gateway");
    expect(f.summaries).toHaveLength(0);
    expect(await f.sessions.get(dead)).toMatchObject({
      status: "error",
      lastErrorCode: "USER_DEACTIVATED_BAN",
    });

    expect((await f.work(event!)).batchItemFailures).toEqual([]);
    expect(f.userbots.connections.get(dead)).toBe(1);
    expect(f.summaries).toHaveLength(1);
    expect(f.summaries[0]!.newlyFailed).toEqual([
      {
        phone: dead,
        code: "USER_DEACTIVATED_BAN",
        reason: expect.stringContaining("deactivated") as unknown,
      },
    ]);
    await f.work(event!);
    expect(f.summaries).toHaveLength(1);
  });

  it("refuses a schedule input it cannot read, queuing nothing", async () => {
    const f = await fleet();
    await f.add();
    await expect(f.dispatch({ scheduledTime: "yesterday" })).rejects.toThrow(
      /must be a JSON object such as \{"scheduledTime": "2026-01-01T00:00:00Z"\} \(scheduledTime: .*\); nothing was queued/,
    );
    expect(f.queue.size).toBe(0);
  });

  it("still names a session as newly failed when the delivery that marked it died before counting it", async () => {
    const f = await fleet();
    const dead = await f.add();
    f.userbots.answer(dead, { answer: "rpc-error", code: "AUTH_KEY_UNREGISTERED" });
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    const [event] = f.queue.drain();
    f.runs.faults = 1;

    const first = await f.work(event!);
    expect(first.batchItemFailures).toHaveLength(1);
    expect(await f.sessions.get(dead)).toMatchObject({ status: "error" });
    expect(f.summaries).toHaveLength(0);

    const record = event!.Records[0]!;
    const redelivered = { ...record, attributes: { ...record.attributes, ApproximateReceiveCount: "2" } };
    expect((await f.work({ Records: [redelivered] })).batchItemFailures).toEqual([]);
    expect(f.userbots.connections.get(dead)).toBe(1);
    expect(f.summaries).toHaveLength(1);
    expect(f.summaries[0]!.newlyFailed).toEqual([
      {
        phone: dead,
        code: "AUTH_KEY_UNREGISTERED",
        reason: expect.stringContaining("log in again") as unknown,
      },
    ]);
  });

  it("tells the admins about a run that never finished when the next one starts", async () => {
    const f = await fleet();
    const lost = await f.add();
    const ok = await f.add();
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    const [event] = f.queue.drain();
    // The message for `lost` vanishes (a worker crashed past its lease, a queue purged by hand).
    await f.work({ Records: event!.Records.filter((r) => !r.body.includes(lost)) });
    expect(f.summaries).toHaveLength(0);

    f.setNow(new Date("2026-11-28T00:00:00Z"));
    await f.dispatch({ scheduledTime: "2026-11-28T00:00:00Z" });
    expect(f.summaries).toHaveLength(1);
    expect(f.summaries[0]).toMatchObject({
      runId: "hc-2026-11-27T00:00:00Z",
      queued: 2,
      counts: { healthy: 1 },
      unfinished: { checksNotFinished: 1, dispatchStoppedEarly: false },
    });
    await f.drain();
    expect(f.userbots.connections.get(lost)).toBe(1);
    expect(f.userbots.connections.get(ok)).toBe(2);
    // Today's run was complete and uneventful: nothing more.
    expect(f.summaries).toHaveLength(1);
  });

  it("reports exactly the malformed message of a batch as failed, and checks the others", async () => {
    const f = await fleet();
    const a = await f.add();
    const b = await f.add();
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    f.queue.sendRaw('{"phone": "+998 90 123 45 67", oops');
    const [event] = f.queue.drain();
    expect(event!.Records).toHaveLength(3);
    const malformed = event!.Records[2]!.messageId;

    const { result, output } = await captureOutput(() => f.work(event!));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: malformed }]);
    expect(f.userbots.connections.get(a)).toBe(1);
    expect(f.userbots.connections.get(b)).toBe(1);
    expect(output).toContain(`Health check message ${malformed} is not {`);
    expect(output).toContain("nothing was checked");
    // The malformed message was never part of the run: the run still completes.
    expect(await f.runs.get("hc-2026-11-27T00:00:00Z")).toMatchObject({ processed: 2, notified: false });
  });

  it("fails messages that are not ours without touching any session", async () => {
    const f = await fleet();
    const phone = await f.add();
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    f.queue.drain();
    const bodies = [
      "",
      "[]",
      JSON.stringify({ phone }),
      JSON.stringify({ phone: "998941000001", runId: "hc-2026-11-27T00:00:00Z" }),
      JSON.stringify({ phone, runId: "hc-2026-11-27T00:00:00Z\n{}" }),
      JSON.stringify({ phone, runId: "hc-1999-01-01T00:00:00Z" }),
    ];
    const event: SQSEvent = { Records: bodies.map((b) => sqsRecord(b)) };
    const { result, output } = await captureOutput(() => f.work(event));
    expect(result.batchItemFailures.map((x) => x.itemIdentifier)).toEqual(
      event.Records.map((r) => r.messageId),
    );
    expect(output).toContain("Health check run hc-1999-01-01T00:00:00Z is not known");
    expect(f.userbots.calls).toEqual([]);
    expect(await f.sessions.get(phone)).toMatchObject({ status: "active", version: 1 });
  });

  it("checks a batch with at most WORKER_CONCURRENCY sessions in flight", async () => {
    const f = await fleet();
    const phones: Phone[] = [];
    for (let i = 0; i < 10; i += 1) phones.push(await f.add());
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    const [event] = f.queue.drain(10);
    expect((await f.work(event!)).batchItemFailures).toEqual([]);
    expect(new Set(f.userbots.calls.map((c) => c.phone))).toEqual(new Set(phones));
    // concurrency is 4 in this fleet: parallel, but never more than that.
    expect(f.userbots.maxInFlight).toBeLessThanOrEqual(4);
    expect(f.userbots.maxInFlight).toBeGreaterThan(1);
  });

  it("paces a batch by data centre: each message names its row's DC, and one DC's checks never exceed the cap", async () => {
    const f = await fleet();
    const dcOf = new Map<Phone, number | undefined>();
    for (let i = 0; i < 10; i += 1) {
      const phone = await f.add();
      // Six on DC 2, three on DC 4, one never checked (no DC recorded yet).
      const dc = i < 6 ? 2 : i < 9 ? 4 : undefined;
      dcOf.set(phone, dc);
      if (dc !== undefined)
        await f.store.doc.send(
          new UpdateCommand({
            TableName: f.store.sessionsTable,
            Key: { phone },
            UpdateExpression: "SET dcId = :dc",
            ExpressionAttributeValues: { ":dc": dc },
          }),
        );
    }
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    const [event] = f.queue.drain(10);
    const bodies = event!.Records.map((r) => JSON.parse(r.body) as { phone: Phone; dc?: number });
    expect(new Map(bodies.map((b) => [b.phone, b.dc]))).toEqual(dcOf);

    const peak = new Map<number | undefined, number>();
    f.userbots.holdMs = 30;
    f.userbots.onStart = (checking) => {
      const perDc = new Map<number | undefined, number>();
      for (const phone of checking) perDc.set(dcOf.get(phone), (perDc.get(dcOf.get(phone)) ?? 0) + 1);
      for (const [dc, n] of perDc) peak.set(dc, Math.max(peak.get(dc) ?? 0, n));
    };
    const worker = createWorkerHandler(() => ({
      sessions: f.sessions,
      runs: f.runs,
      logger: createLogger({ service: "test", level: "WARN" }),
      now: () => new Date("2026-11-27T00:00:00Z"),
      metrics: powertoolsMetrics(new Metrics({ namespace: "SessionKeeperTest", serviceName: "test" })),
      notify: () => Promise.resolve(),
      userbots: f.userbots,
      concurrency: 10,
      perDcConcurrency: 2,
      jitterMs: 0,
      checkDeadlineMs: 20_000,
    }));
    const out = await worker(event!, { getRemainingTimeInMillis: () => 55_000 });
    expect(out.batchItemFailures).toEqual([]);
    expect(f.userbots.calls).toHaveLength(10);
    // Two at a time per DC (the unknown one in a bucket of its own), and the DCs in parallel.
    expect(peak.get(2)).toBe(2);
    expect(peak.get(4)).toBe(2);
    expect(f.userbots.maxInFlight).toBeGreaterThan(2);
    expect(f.userbots.maxInFlight).toBeLessThanOrEqual(5);
  });

  it("gives each check a deadline inside the invocation's remaining time, and starts none it cannot finish", async () => {
    const f = await fleet();
    const a = await f.add();
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    const [event] = f.queue.drain();

    f.setRemainingMs(6_000);
    const late = await f.work(event!);
    expect(late.batchItemFailures).toEqual([{ itemIdentifier: event!.Records[0]!.messageId }]);
    expect(f.userbots.calls).toEqual([]);

    f.setRemainingMs(12_000);
    expect((await f.work(event!)).batchItemFailures).toEqual([]);
    expect(f.userbots.calls).toEqual([
      { phone: a, options: { deadlineMs: 7_000, actor: "health-check:hc-2026-11-27T00:00:00Z" } },
    ]);
  });

  it("counts a check that keeps breaking as not checked on its last delivery, so the run still ends", async () => {
    const f = await fleet();
    const ok = await f.add();
    const broken = await f.add();
    f.userbots.answer(broken, { answer: "crash", message: "DynamoDB throttled the lease write" });
    await f.dispatch({ scheduledTime: "2026-11-27T00:00:00Z" });
    const [event] = f.queue.drain();
    const brokenRecord = event!.Records.find((r) => r.body.includes(broken))!;

    const first = await f.work(event!);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: brokenRecord.messageId }]);
    expect(f.summaries).toHaveLength(0);

    const last = {
      ...brokenRecord,
      attributes: { ...brokenRecord.attributes, ApproximateReceiveCount: String(MAX_RECEIVES) },
    };
    expect((await f.work({ Records: [last] })).batchItemFailures).toEqual([
      { itemIdentifier: last.messageId },
    ]);
    expect(f.summaries).toHaveLength(1);
    expect(f.summaries[0]!.counts).toMatchObject({ healthy: 1, gaveUp: 1, failed: 0 });
    expect(f.summaries[0]!.notChecked).toEqual([
      {
        phone: broken,
        code: "CHECK_ERROR",
        reason: expect.stringMatching(
          /DynamoDB throttled the lease write \(gave up after 3 attempts/,
        ) as unknown,
      },
    ]);
    expect(await f.sessions.get(broken)).toMatchObject({ status: "active" });
    expect(f.userbots.connections.get(ok)).toBe(1);
  });
});

describe("checking every session from the CLI (no queue)", () => {
  it("checks the due sessions with bounded concurrency, reports progress, and returns the summary", async () => {
    const f = await fleet();
    const phones = [await f.add(), await f.add(), await f.add(), await f.add()];
    const dead = phones[3]!;
    f.userbots.answer(dead, { answer: "rpc-error", code: "AUTH_KEY_UNREGISTERED" });
    const paused = await f.add();
    await f.sessions.pause(paused);

    const progress: CheckProgress[] = [];
    const summary = await checkAll(
      {
        sessions: f.sessions,
        userbots: f.userbots,
        logger: createLogger({ service: "test", level: "SILENT" }),
        now: () => new Date("2026-11-27T00:00:00Z"),
      },
      { concurrency: 2, actor: "cli:operator", onProgress: (p) => progress.push(p) },
    );

    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4]);
    expect(progress.every((p) => p.total === 4)).toBe(true);
    expect(summary.counts).toMatchObject({ checked: 4, healthy: 3, failed: 1 });
    expect(summary.newlyFailed).toEqual([
      {
        phone: dead,
        code: "AUTH_KEY_UNREGISTERED",
        reason: expect.stringContaining("log in again") as unknown,
      },
    ]);
    expect(summary.fleet).toMatchObject({ active: 3, error: 1, paused: 1 });
    expect(f.userbots.calls.every((c) => c.options.actor === "cli:operator")).toBe(true);
    expect(f.userbots.connections.get(paused)).toBeUndefined();
    expect(f.summaries).toEqual([]);
  });

  it("counts the active sessions Telegram limits (their last @SpamBot reading) in the summary and its text", async () => {
    const f = await fleet();
    const [forever, until, past, free] = [await f.add(), await f.add(), await f.add(), await f.add()];
    const checkedAt = "2026-11-26T00:00:00Z";
    const readings = [
      [forever, { state: "limited-forever", checkedAt }],
      [until, { state: "limited", until: "2026-12-20T00:00:00Z", checkedAt }],
      [past, { state: "limited", until: "2026-11-20T00:00:00Z", checkedAt }],
      [free, { state: "free", checkedAt }],
    ] as const;
    for (const [phone, restriction] of readings) {
      const row = await f.sessions.require(phone);
      await f.sessions.recordCheck(phone, row.version, { restriction });
    }
    const summary = await checkAll(
      {
        sessions: f.sessions,
        userbots: f.userbots,
        logger: createLogger({ service: "test", level: "SILENT" }),
        now: () => new Date("2026-11-27T00:00:00Z"),
      },
      { concurrency: 2, actor: "cli:operator" },
    );
    expect(summary.restricted).toBe(2);
    expect(renderHealthSummary(LOCALES.en, summary)).toContain(
      "🚫 2 active sessions limited by Telegram (last @SpamBot check).",
    );
    expect(renderHealthSummary(LOCALES.ru, summary)).toContain(
      "🚫 Активных сессий с ограничениями Telegram (последняя проверка @SpamBot): 2.",
    );
  });

  it("counts deleted sessions whose logout at Telegram is still pending, and says how they are retried", async () => {
    const f = await fleet();
    const [pending, confirmed] = [await f.add(), await f.add(), await f.add()];
    await f.sessions.deleteWithRevocation(pending, { notConfirmed: "TIMEOUT: Telegram did not answer" });
    await f.sessions.deleteWithRevocation(confirmed, { confirmed: "already-dead" });
    const summary = await checkAll(
      {
        sessions: f.sessions,
        userbots: f.userbots,
        logger: createLogger({ service: "test", level: "SILENT" }),
        now: () => new Date("2026-11-27T00:00:00Z"),
      },
      { concurrency: 2, actor: "cli:operator" },
    );
    expect(summary.pendingLogouts).toBe(1);
    expect(renderHealthSummary(LOCALES.en, summary)).toContain(
      "⏳ 1 key of deleted or replaced sessions not yet logged out at Telegram: the weekly cleanup retries (sessions revoke-pending to retry now).",
    );
    expect(renderHealthSummary(LOCALES.uz, summary)).toContain("sessions revoke-pending");
  });
});
