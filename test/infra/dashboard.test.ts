/**
 * The operator's CloudWatch dashboard (issue 18): read back from the template, widget by widget, with the metrics
 * each one draws. A dashboard that loses a widget, or draws a metric the jobs do not write, fails here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { JobDurationName, JobMetricName } from "../../lib/jobs/metrics";
import { resources, synthesize, type Synthesized } from "./synth";

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

interface Widget {
  type: string;
  properties: { title: string; metrics?: unknown[][]; alarms?: string[]; stacked?: boolean; view?: string };
}

/** The dashboard body as deployed, with each CloudFormation reference written as `<LogicalId>`. */
function dashboard(): { widgets: Widget[]; name: unknown } {
  const boards = Object.values(resources(s.serviceTemplate, "AWS::CloudWatch::Dashboard"));
  expect(boards).toHaveLength(1);
  const body = boards[0]!.Properties?.DashboardBody as { "Fn::Join": [string, unknown[]] };
  const text = body["Fn::Join"][1]
    .map((part) => {
      if (typeof part === "string") return part;
      const ref = part as { Ref?: string; "Fn::GetAtt"?: [string, string] };
      return `<${ref.Ref ?? ref["Fn::GetAtt"]?.[0] ?? "?"}>`;
    })
    .join("");
  return {
    widgets: (JSON.parse(text) as { widgets: Widget[] }).widgets,
    name: boards[0]!.Properties?.DashboardName,
  };
}

function widget(title: string): Widget {
  const found = dashboard().widgets.filter((w) => w.properties.title === title);
  expect(found, title).toHaveLength(1);
  return found[0]!;
}

/** The SEARCH/metric expressions and plain metric names a widget draws. */
function drawn(w: Widget): string[] {
  return (w.properties.metrics ?? []).map((m) => {
    const opts = m.at(-1) as { expression?: string } | undefined;
    return opts?.expression ?? m.filter((x) => typeof x === "string").join(" ");
  });
}

const jobMetric = (name: JobMetricName | JobDurationName) => `MetricName="${name}"`;

describe("the CloudWatch dashboard", () => {
  it("is named after the stack prefix and linked from the DashboardUrl output", () => {
    expect(dashboard().name).toBe("SessionKeeper");
    expect(JSON.stringify(s.serviceTemplate.findOutputs("DashboardUrl"))).toContain(
      "dashboards:name=SessionKeeper",
    );
  });

  it("draws the sessions by status over time, stacked, one series per status, from the EMF gauge", () => {
    const w = widget("Sessions by status");
    expect(w.properties.stacked).toBe(true);
    const series = drawn(w);
    for (const status of ["active", "paused", "error", "deleted"])
      expect(series).toContainEqual(
        `MAX(SEARCH('{SessionKeeper,job,service,status} ${jobMetric("FleetSessions")} status="${status}"', 'Maximum', 86400))`,
      );
  });

  it("draws checks and failures per daily run, failures summed over every reason", () => {
    const series = drawn(widget("Checks and failures per run"));
    expect(series).toContainEqual(
      `SUM(SEARCH('{SessionKeeper,job,service} ${jobMetric("SessionsChecked")}', 'Sum', 86400))`,
    );
    expect(series).toContainEqual(
      `SUM(SEARCH('{SessionKeeper,job,reason,service} ${jobMetric("SessionsFailed")}', 'Sum', 86400))`,
    );
    for (const name of [
      "SessionsHealthy",
      "SessionsFloodWaited",
      "SessionsTransient",
      "SessionsFrozen",
    ] as const)
      expect(
        series.some((e) => e.includes(jobMetric(name))),
        name,
      ).toBe(true);
  });

  it("draws the check duration's p50 and p99 from the worker's CheckDuration", () => {
    const series = drawn(widget("Check duration (ms)"));
    expect(series).toEqual([
      `MAX(SEARCH('{SessionKeeper,job,service} ${jobMetric("CheckDuration")}', 'p50', 86400))`,
      `MAX(SEARCH('{SessionKeeper,job,service} ${jobMetric("CheckDuration")}', 'p99', 86400))`,
    ]);
  });

  it("draws the webhook's errors (API 5xx/4xx, function errors) and latency (p50/p99)", () => {
    const errors = drawn(widget("Webhook errors"));
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AWS\/ApiGateway 5xx ApiId <WebhookApi/),
        expect.stringMatching(/^AWS\/ApiGateway 4xx ApiId <WebhookApi/),
        expect.stringMatching(/^AWS\/Lambda Errors FunctionName <AdminBotFunction/),
      ]),
    );
    const latency = widget("Webhook latency (ms)").properties.metrics!;
    const stats = latency.map((m) => (m.at(-1) as { stat: string }).stat);
    expect(stats).toEqual(["p50", "p99", "p99"]);
    expect(drawn(widget("Webhook latency (ms)"))[0]).toMatch(/^AWS\/ApiGateway Latency ApiId/);
  });

  it("draws the depth of every dead-letter queue", () => {
    const queues = Object.keys(resources(s.serviceTemplate, "AWS::SQS::Queue")).filter((id) =>
      /DeadLetters|FailedRuns/.test(id),
    );
    expect(queues).toHaveLength(3);
    const series = drawn(widget("Dead-letter queue depths"));
    for (const id of queues)
      expect(series, id).toContainEqual(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName <${id}>`);
  });

  it("shows every alarm of the stack", () => {
    const alarmIds = Object.keys(resources(s.serviceTemplate, "AWS::CloudWatch::Alarm"));
    expect(alarmIds.length).toBeGreaterThanOrEqual(8);
    const shown = widget("Alarms").properties.alarms!;
    expect(shown.map((a) => a.replace(/^<|>$/g, "")).sort()).toEqual(alarmIds.sort());
  });
});
