/**
 * `sessions check --all --deployed` (issue 18): the real CLI process, as against a deployed stack (table names and a
 * region, DynamoDB Local behind AWS_ENDPOINT_URL_DYNAMODB, no KMS key), starts the dispatcher through the AWS SDK's
 * Lambda Invoke; here a local endpoint answers as Lambda does (202 for an asynchronous start) and runs the real
 * dispatcher and worker handlers in this process, batch by batch, over a scripted Telegram. The CLI follows the run
 * record in DynamoDB Local: its progress on stderr, the final numbers on stdout. GramJS never runs in the CLI.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDispatchHandler } from "../../functions/health-check-dispatch";
import { createWorkerHandler } from "../../functions/health-check-worker";
import { noMetrics } from "../../lib/jobs/metrics";
import { InMemoryCheckQueue } from "../../lib/jobs/queue";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import type { HealthCheckSummary } from "../../lib/jobs/summary";
import { createLogger } from "../../lib/log";
import { normalizePhone, type Phone } from "../../lib/sessions";
import { cliEnv, runCli } from "../support/cli-run";
import { converseInTerminal } from "../support/cli-terminal";
import { createTestStore, type TestStore } from "../support/dynamo";
import { FakeUserbots } from "../support/fake-checks";

vi.setConfig({ testTimeout: 90_000 });

const DISPATCHER = "SessionKeeper-Service-HealthCheckHandlerFunction-TEST";
const SESSION_STRING = `1${"D".repeat(230)}deployedCheckTail==`;

let store: TestStore;
let server: Server;
let endpoint: string;
const invocations: { name: string; type: string | undefined; payload: unknown }[] = [];
const summaries: HealthCheckSummary[] = [];
/** The runs the fake Lambda is working on, so a test can wait for the last one. */
const working: Promise<void>[] = [];
let seq = 0;

/** The real dispatcher, then the real worker one batch of 3 at a time, slowly enough to be followed. */
async function runInAws(runId: string): Promise<void> {
  const logger = createLogger({ service: "test", level: "SILENT" });
  const now = () => new Date();
  const sessions = store.sessions({ now, logger });
  const common = {
    sessions,
    runs: new HealthCheckRuns(store.doc, store.botStateTable, now),
    logger,
    now,
    metrics: noMetrics,
    notify: (summary: HealthCheckSummary) => {
      summaries.push(summary);
      return Promise.resolve();
    },
  };
  const queue = new InMemoryCheckQueue();
  const userbots = new FakeUserbots(sessions, now, logger);
  for (const phone of dead) userbots.answer(phone, { answer: "rpc-error", code: "AUTH_KEY_UNREGISTERED" });
  await new Promise((r) => setTimeout(r, 300));
  await createDispatchHandler(() => ({ ...common, queue }))({ runId });
  const worker = createWorkerHandler(() => ({
    ...common,
    userbots,
    concurrency: 3,
    checkDeadlineMs: 10_000,
  }));
  for (const event of queue.drain(3)) {
    await new Promise((r) => setTimeout(r, 400));
    await worker(event, { getRemainingTimeInMillis: () => 60_000 });
  }
}

let dead: Phone[] = [];

beforeAll(async () => {
  store = await createTestStore();
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const name = decodeURIComponent(/\/functions\/([^/]+)\/invocations/.exec(req.url ?? "")?.[1] ?? "");
      const type = req.headers["x-amz-invocation-type"] as string | undefined;
      invocations.push({ name, type, payload: body ? JSON.parse(body) : undefined });
      const refuse = (status: number, errorType: string, message: string) => {
        res.statusCode = status;
        res.setHeader("x-amzn-errortype", errorType);
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ Type: "User", message }));
      };
      if (name === "denied")
        return refuse(
          403,
          "AccessDeniedException",
          "User: arn:aws:sts::123456789012:assumed-role/admin/x is not authorized to perform: lambda:InvokeFunction",
        );
      if (name !== DISPATCHER) return refuse(404, "ResourceNotFoundException", `Function not found: ${name}`);
      res.statusCode = 202;
      res.end();
      const { runId } = JSON.parse(body) as { runId: string };
      working.push(runInAws(runId));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The deployed CLI's environment, with the stack outputs in a file of their own. */
function deployed(outputs: Record<string, string> = { HealthCheckDispatcherName: DISPATCHER }) {
  const base = cliEnv(store, { NO_COLOR: "1" });
  delete base.DYNAMODB_ENDPOINT;
  delete base.SESSION_ENCRYPTION_KEY;
  const dir = mkdtempSync(join(tmpdir(), "sk-outputs-"));
  const file = join(dir, "cdk-outputs.json");
  writeFileSync(file, JSON.stringify({ "SessionKeeper-Service": outputs }));
  return {
    ...base,
    AWS_ENDPOINT_URL_DYNAMODB: store.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: endpoint,
    AWS_REGION: "eu-central-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    CDK_OUTPUTS_FILE: file,
    // No API_ID/API_HASH: nothing here talks to Telegram.
    API_ID: "",
    API_HASH: "",
  };
}

async function addSessions(n: number): Promise<Phone[]> {
  const repo = store.sessions();
  const phones: Phone[] = [];
  for (let i = 0; i < n; i++) {
    seq += 1;
    const phone = normalizePhone(`+99893${String(2_000_000 + seq).slice(-7)}`);
    await repo.create({ phone, sessionString: SESSION_STRING, account: { userId: String(7000 + seq) } });
    phones.push(phone);
  }
  return phones;
}

describe("sessions check --all --deployed", () => {
  it("starts the dispatcher asynchronously and follows its run to the end: progress, summary, exit 1 for a newly failed session", async () => {
    const phones = await addSessions(7);
    dead = [phones[2]!];
    const before = invocations.length;
    const r = await runCli(["check", "--all", "--deployed"], { env: deployed() });
    await Promise.all(working);
    expect(invocations.slice(before)).toEqual([
      { name: DISPATCHER, type: "Event", payload: { runId: expect.stringMatching(/^hc-/) as string } },
    ]);
    expect(r.stderr).toContain(`Started the deployed health check (${DISPATCHER}, run hc-`);
    expect(r.stderr).toContain("Queued 7 sessions for a check; the workers check them in AWS.");
    // In a pipe, a line per tenth of the run: the counts only grow, and end at 7/7.
    const lines = [...r.stderr.matchAll(/Checked (\d+)\/7/g)].map((m) => Number(m[1]));
    expect(lines.at(-1)).toBe(7);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(r.stdout).toContain("Checked 7 of 7 due sessions in AWS in ");
    expect(r.stdout).toContain("6 healthy, 1 failed, 0 flood wait, 0 not reachable, 0 frozen, 0 skipped.");
    expect(r.stdout).toContain(`Newly failed (now in error and paused; log them in again):\n  ${phones[2]}`);
    expect(r.stdout).toContain("Fleet now: 6 active, 0 paused, 1 error, 0 deleted.");
    expect(r.stdout).toContain("The admins were sent the run's summary.");
    expect(r.code).toBe(1);
    // The run was the deployed one: the admins got exactly its summary.
    const runId = (invocations.at(-1)!.payload as { runId: string }).runId;
    expect(summaries.filter((s) => s.runId === runId)).toHaveLength(1);
    expect(r.stderr + r.stdout).not.toContain(SESSION_STRING.slice(0, 40));
  });

  it("--json: the run as history shows it with the sessions it noted; in a terminal, a bar that reaches checked/total", async () => {
    dead = [];
    const json = await runCli(["check", "--all", "--deployed", "--json"], { env: deployed() });
    await Promise.all(working);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      source: "schedule",
      finished: true,
      complete: true,
      queued: 6,
      checked: 6,
      healthy: 6,
      newlyFailed: 0,
      sessions: { newlyFailed: [], gaveUp: [], newlyFrozen: [] },
    });
    // The session the first run marked error is no longer checked: 6 active ones.
    const tty = await converseInTerminal(["check", "--all", "--deployed"], {
      env: deployed(),
      exchanges: [],
    });
    await Promise.all(working);
    expect(tty.code).toBe(0);
    expect(tty.screen).toMatch(/Checking \[█+\] 6\/6 100%/);
  });

  it("says what to do when the stack is not deployed, the outputs are missing, or AWS denies the start; nothing runs", async () => {
    const before = invocations.length;
    const missing = await runCli(["check", "--all", "--deployed"], {
      env: deployed({ HealthCheckDispatcherName: "SessionKeeper-Service-gone" }),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      "The function SessionKeeper-Service-gone does not exist in eu-central-1",
    );
    expect(missing.stderr).toContain("Deploy it (npm run deploy)");

    const denied = await runCli(["check", "--all", "--deployed"], {
      env: deployed({ HealthCheckDispatcherName: "denied" }),
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("AWS denied lambda:InvokeFunction on denied.");
    expect(denied.stderr).toContain("operator role");

    const noOutputs = await runCli(["check", "--all", "--deployed"], { env: deployed({}) });
    expect(noOutputs.code).toBe(1);
    expect(noOutputs.stderr).toContain("Cannot find the health check's dispatcher function:");
    expect(noOutputs.stderr).toContain("has no HealthCheckDispatcherName");
    expect(invocations.length).toBe(before + 2);

    const local = await runCli(["check", "--all", "--deployed"], { env: cliEnv(store) });
    expect(local.code).toBe(2);
    expect(local.stderr).toContain("--deployed needs a deployed stack");
    const one = await runCli(["check", "+998901234567", "--deployed"], { env: deployed() });
    expect(one.code).toBe(2);
    expect(one.stderr).toContain("--deployed goes with --all");
  });
});
