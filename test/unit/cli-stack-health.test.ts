/**
 * `sessions status` on a deployed stack (issue 18): each dead-letter queue's depth and the stack's alarms in ALARM,
 * read through two small ports (SQS GetQueueAttributes, CloudWatch DescribeAlarms) whose fakes stand in for AWS
 * here, from the names in the stack outputs. What the operator reads: the lines, and what to do when a part cannot
 * be read. The template test that the operator role may read exactly these is in test/infra/security.test.ts.
 */
import { describe, expect, it } from "vitest";
import { stackHealthLines } from "../../lib/cli/commands/status";
import { stackHealth, type AlarmPort, type QueueDepthPort } from "../../lib/cli/deployed";
import { colorsFor } from "../../lib/cli/format";
import type { StackOutputs } from "../../lib/deployment";

const colors = colorsFor({ isTTY: false }, {});
const QUEUE = (name: string) => `https://sqs.eu-central-1.amazonaws.com/123456789012/${name}`;
const OUTPUTS: StackOutputs = {
  file: "/srv/session-keeper/cdk-outputs.json",
  found: true,
  outputs: {
    HealthCheckDeadLettersUrl: QUEUE("hc-dlq"),
    HealthCheckScheduleDeadLettersUrl: QUEUE("hc-schedule-dlq"),
    CleanupScheduleDeadLettersUrl: QUEUE("cleanup-dlq"),
    AlarmNames:
      "SK-Service-AdminBotErrors-1,SK-Service-HealthCheckDeadLettersNotEmpty-2,SK-Service-WebhookServerErrors-3",
  },
};

function fakeQueues(depths: Record<string, number | Error>): QueueDepthPort & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    depth(url) {
      asked.push(url);
      const d = depths[url];
      return d instanceof Error ? Promise.reject(d) : Promise.resolve(d ?? 0);
    },
  };
}

function fakeAlarms(firing: string[] | Error): AlarmPort & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    inAlarm(names) {
      asked.push([...names]);
      if (firing instanceof Error) return Promise.reject(firing);
      return Promise.resolve(
        names
          .filter((n) => firing.includes(n))
          .map((name) => ({
            name,
            reason:
              "Threshold Crossed: 1 datapoint [3.0 (03/12/26 03:05:00)] was greater than or equal to the threshold (1.0).",
            since: "2026-12-03T03:06:12.000Z",
          })),
      );
    },
  };
}

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe("sessions status: the deployed stack's dead letters and alarms", () => {
  it("shows each queue's depth and every alarm in ALARM with when and why", async () => {
    const queues = fakeQueues({ [QUEUE("hc-dlq")]: 4 });
    const alarms = fakeAlarms(["SK-Service-HealthCheckDeadLettersNotEmpty-2"]);
    const health = await stackHealth(OUTPUTS, { queues, alarms });
    expect(queues.asked.sort()).toEqual([QUEUE("cleanup-dlq"), QUEUE("hc-dlq"), QUEUE("hc-schedule-dlq")]);
    expect(alarms.asked).toEqual([OUTPUTS.outputs.AlarmNames!.split(",")]);
    expect(stackHealthLines(health, colors)).toEqual([
      "  dead letters    health checks 4 · health check schedule 0 · cleanup schedule 0",
      "  alarms          1 in ALARM of 3:",
      "    SK-Service-HealthCheckDeadLettersNotEmpty-2 since 2026-12-03 03:06 UTC: Threshold Crossed: 1 datapoint [3.0 (03/12/26 03:05:00)] was greater than or equal to the threshold (1.0).",
    ]);
    expect(health.deadLetterQueues).toEqual([
      { name: "health checks", depth: 4, error: null },
      { name: "health check schedule", depth: 0, error: null },
      { name: "cleanup schedule", depth: 0, error: null },
    ]);
  });

  it("all quiet: zeros and none in ALARM", async () => {
    const health = await stackHealth(OUTPUTS, { queues: fakeQueues({}), alarms: fakeAlarms([]) });
    expect(stackHealthLines(health, colors)).toEqual([
      "  dead letters    health checks 0 · health check schedule 0 · cleanup schedule 0",
      "  alarms          none in ALARM (3 watched)",
    ]);
  });

  it("a role without the permission, or a queue that is gone: that part says what to do, the rest is shown", async () => {
    const health = await stackHealth(OUTPUTS, {
      queues: fakeQueues({
        [QUEUE("cleanup-dlq")]: awsError(
          "AWS.SimpleQueueService.NonExistentQueue",
          "The specified queue does not exist.",
        ),
        [QUEUE("hc-schedule-dlq")]: awsError(
          "AccessDenied",
          "User: arn:aws:sts::123456789012:assumed-role/Admin/x is not authorized to perform: sqs:getqueueattributes",
        ),
      }),
      alarms: fakeAlarms(
        awsError("AccessDenied", "User is not authorized to perform: cloudwatch:DescribeAlarms"),
      ),
    });
    const lines = stackHealthLines(health, colors);
    expect(lines[0]).toBe("  dead letters    health checks 0");
    expect(lines[1]).toContain("health check schedule: AWS denied sqs:GetQueueAttributes on");
    expect(lines[1]).toContain("operator role");
    expect(lines[2]).toContain(
      `cleanup schedule: the queue ${QUEUE("cleanup-dlq")} does not exist: deploy the service stack`,
    );
    expect(lines[3]).toContain("alarms          AWS denied cloudwatch:DescribeAlarms on the stack's alarms.");
  });

  it("no outputs file: says where it looked and how to get one; nothing is asked of AWS", async () => {
    const queues = fakeQueues({});
    const alarms = fakeAlarms([]);
    const health = await stackHealth(
      { file: "/srv/x/cdk-outputs.json", found: false, outputs: {} },
      { queues, alarms },
    );
    expect(queues.asked).toEqual([]);
    expect(alarms.asked).toEqual([]);
    expect(health.alarms.error).toBe(
      "Cannot find the stack's alarms: /srv/x/cdk-outputs.json does not exist. Deploy from this checkout (npm run " +
        "deploy writes the stack outputs there), or set CDK_OUTPUTS_FILE to the outputs file of the deployment.",
    );
    expect(stackHealthLines(health, colors)[0]).toContain(
      "dead letters    health checks: Cannot find the health checks dead-letter queue",
    );
  });

  it("a local stack has neither: –", () => {
    expect(stackHealthLines(null, colors)).toEqual(["  dead letters    –", "  alarms          –"]);
  });
});
