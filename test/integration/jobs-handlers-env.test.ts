/**
 * The Lambda entry points as deployed: dependencies built from the environment (the infra engineer's contract),
 * pointed at DynamoDB Local.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { handler as cleanup } from "../../functions/cleanup";
import { handler as worker } from "../../functions/health-check-worker";
import { normalizePhone } from "../../lib/sessions";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import { sqsRecord } from "../../lib/jobs/queue";
import { captureOutput } from "../support/capture-logs";
import { createTestStore } from "../support/dynamo";

afterEach(() => {
  vi.unstubAllEnvs();
});

function stubEnv(env: Record<string, string>) {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.stubEnv("POWERTOOLS_SERVICE_NAME", "session-keeper");
  vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", "SessionKeeperTest");
  vi.stubEnv("LOG_LEVEL", "INFO");
  // Never Telegram itself from a test, whatever the developer's shell has set.
  for (const name of ["API_ID", "API_HASH", "APP_SECRET_ARN"]) vi.stubEnv(name, "");
}

describe("the deployed handlers", () => {
  it("cleanup takes its tables and CLEANUP_AFTER_DAYS from the environment", async () => {
    const store = await createTestStore();
    stubEnv({ ...store.env, CLEANUP_AFTER_DAYS: "7" });
    const phone = normalizePhone("+998950000001");
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    const old = store.sessions({ now: () => eightDaysAgo });
    await old.create({ phone, sessionString: `1${"D".repeat(220)}`, account: { userId: "1" } });
    await old.markError(phone, { code: "SESSION_REVOKED", message: "SESSION_REVOKED: log in again" });

    // The handlers read the environment on their first invocation, as a Lambda container does on a cold start.
    const { result, output } = await captureOutput(() => cleanup({ dryRun: true }));

    expect(result.deleted.map((d) => d.phone)).toEqual([phone]);
    expect(output).toContain('"function":"cleanup"');
    expect(output).toContain('"Namespace":"SessionKeeperTest"');

    // A real run logs each key out at Telegram before destroying it: without the API credentials it cannot, so it
    // fails saying how to set them (the schedule's dead-letter queue and alarm), and destroys nothing.
    const run = await captureOutput(() => cleanup({}).catch((err: unknown) => err));
    expect(String(run.result)).toMatch(/Missing API_ID: get it at my\.telegram\.org/);
    expect(await store.sessions().get(phone)).toMatchObject({ status: "error", hasSecret: true });
  });

  it("the worker refuses a bad setting; and without the Telegram API credentials fails each check, saying how to set them, touching no session", async () => {
    const store = await createTestStore();
    stubEnv({ ...store.env, WORKER_CONCURRENCY: "many" });
    const context = { getRemainingTimeInMillis: () => 55_000 };
    await expect(worker({ Records: [] }, context)).rejects.toThrow(
      /^Invalid WORKER_CONCURRENCY \(.*\): set it to a whole number from 1 to 50/,
    );

    vi.stubEnv("WORKER_CONCURRENCY", "3");
    const phone = normalizePhone("+998950000002");
    await store.sessions().create({ phone, sessionString: `1${"E".repeat(220)}`, account: { userId: "2" } });
    await new HealthCheckRuns(store.doc, store.botStateTable).start("hc-2026-11-27T00:00:00Z");
    const record = sqsRecord(JSON.stringify({ phone, runId: "hc-2026-11-27T00:00:00Z" }));
    const { result, output } = await captureOutput(() => worker({ Records: [record] }, context));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(output).toContain("Missing API_ID: get it at my.telegram.org");
    expect(output).toContain('"function":"health-check-worker"');
    expect(await store.sessions().get(phone)).toMatchObject({ status: "active", version: 1 });
  });
});
