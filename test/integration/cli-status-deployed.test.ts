/**
 * `sessions status` as a real CLI process against a deployed stack (issue 18): the tables in DynamoDB Local behind
 * AWS_ENDPOINT_URL_DYNAMODB, and the AWS SDK's real SQS and CloudWatch clients sent to a local endpoint that answers
 * GetQueueAttributes and DescribeAlarms as AWS does (JSON protocol). Proves the ports' wiring end to end; what each
 * line says in every case is in test/unit/cli-stack-health.test.ts.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cliEnv, runCli } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";

vi.setConfig({ testTimeout: 60_000 });

let store: TestStore;
let server: Server;
let endpoint: string;
const asked: { target: string; body: Record<string, unknown> }[] = [];
const DEPTHS: Record<string, number> = { "hc-dlq": 3, "hc-schedule-dlq": 0, "cleanup-dlq": 0 };
const FIRING = "SessionKeeper-Service-HealthCheckDeadLettersNotEmptyF96915CB-1X2Y3Z";

beforeAll(async () => {
  store = await createTestStore();
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString()));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const body = JSON.parse(raw || "{}") as Record<string, unknown>;
      asked.push({ target, body });
      res.setHeader("content-type", "application/x-amz-json-1.0");
      if (target === "AmazonSQS.GetQueueAttributes") {
        const queue = String(body.QueueUrl).split("/").pop()!;
        return res.end(
          JSON.stringify({ Attributes: { ApproximateNumberOfMessages: String(DEPTHS[queue]) } }),
        );
      }
      if (target === "GraniteServiceVersion20100801.DescribeAlarms") {
        const names = body.AlarmNames as string[];
        return res.end(
          JSON.stringify({
            MetricAlarms: names
              .filter((n) => n === FIRING)
              .map((n) => ({
                AlarmName: n,
                StateValue: "ALARM",
                StateReason:
                  "Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).",
                StateUpdatedTimestamp: Date.parse("2026-12-03T03:06:00Z") / 1000,
              })),
            CompositeAlarms: [],
          }),
        );
      }
      res.statusCode = 400;
      res.end(JSON.stringify({ __type: "UnknownOperationException" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function deployed() {
  const base = cliEnv(store, { NO_COLOR: "1" });
  delete base.DYNAMODB_ENDPOINT;
  delete base.SESSION_ENCRYPTION_KEY;
  const file = join(mkdtempSync(join(tmpdir(), "sk-outputs-")), "cdk-outputs.json");
  writeFileSync(
    file,
    JSON.stringify({
      "SessionKeeper-Service": {
        HealthCheckDeadLettersUrl: `${endpoint}/123456789012/hc-dlq`,
        HealthCheckScheduleDeadLettersUrl: `${endpoint}/123456789012/hc-schedule-dlq`,
        CleanupScheduleDeadLettersUrl: `${endpoint}/123456789012/cleanup-dlq`,
        AlarmNames: `SessionKeeper-Service-AdminBotErrors247F3E9B-A1,${FIRING},SessionKeeper-Service-WebhookServerErrors15A2151B-B2`,
      },
    }),
  );
  return {
    ...base,
    AWS_ENDPOINT_URL_DYNAMODB: store.endpoint,
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoint,
    AWS_REGION: "eu-central-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    CDK_OUTPUTS_FILE: file,
  };
}

describe("sessions status against a deployed stack", () => {
  it("shows each dead-letter queue's depth and the alarm in ALARM, read through the AWS SDK", async () => {
    const r = await runCli(["status"], { env: deployed() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("(deployed stack)");
    expect(r.stdout).toContain(
      "AWS\n  dead letters    health checks 3 · health check schedule 0 · cleanup schedule 0\n" +
        "  alarms          1 in ALARM of 3:\n" +
        `    ${FIRING} since 2026-12-03 03:06 UTC: Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).\n`,
    );
    expect(asked.filter((a) => a.target === "AmazonSQS.GetQueueAttributes")).toHaveLength(3);
    expect(asked.find((a) => a.target.endsWith("DescribeAlarms"))!.body).toMatchObject({
      StateValue: "ALARM",
    });

    const json = JSON.parse((await runCli(["status", "--json"], { env: deployed() })).stdout) as {
      target: string;
      stack: unknown;
    };
    expect(json.target).toBe("aws");
    expect(json.stack).toEqual({
      deadLetterQueues: [
        { name: "health checks", depth: 3, error: null },
        { name: "health check schedule", depth: 0, error: null },
        { name: "cleanup schedule", depth: 0, error: null },
      ],
      alarms: {
        watched: 3,
        inAlarm: [
          {
            name: FIRING,
            reason: "Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).",
            since: "2026-12-03T03:06:00.000Z",
          },
        ],
        error: null,
      },
    });
  });
});
