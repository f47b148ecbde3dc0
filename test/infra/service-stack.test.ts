import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { LOGIN_ROUTE_KEYS } from "../../infra/service-stack";
import {
  functionByDescription,
  joined,
  resources,
  synthesize,
  WEBHOOK_ROUTE_KEY_TEXT,
  type Synthesized,
} from "./synth";

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

const COMMON_ENV = [
  "SESSIONS_TABLE",
  "BOT_STATE_TABLE",
  "KMS_KEY_ID",
  "APP_SECRET_ARN",
  "LOG_LEVEL",
  "POWERTOOLS_SERVICE_NAME",
  "POWERTOOLS_METRICS_NAMESPACE",
  "NODE_OPTIONS",
];

const FUNCTIONS = {
  adminBot: {
    description: "AdminBot",
    extra: ["WEBHOOK_SECRET_ARN", "MINI_APP_URL", "CONTEXT_KEY_SECRET_ARN"],
  },
  dispatch: { description: "queues every active session", extra: ["HEALTH_CHECK_QUEUE_URL"] },
  worker: {
    description: "checks a batch of sessions",
    extra: ["WORKER_CONCURRENCY", "CHECK_DEADLINE_MS", "CONTEXT_KEY_SECRET_ARN"],
  },
  cleanup: { description: "deletes error sessions", extra: ["CLEANUP_AFTER_DAYS", "CONTEXT_KEY_SECRET_ARN"] },
} as const;

function fn(name: keyof typeof FUNCTIONS) {
  return functionByDescription(s.serviceTemplate, FUNCTIONS[name].description);
}
function envOf(name: keyof typeof FUNCTIONS): Record<string, unknown> {
  return (fn(name)[1].Environment as { Variables: Record<string, unknown> }).Variables;
}

describe("the functions", () => {
  it("are exactly the four entry points, on Node.js 24, arm64, with source maps on", () => {
    expect(Object.keys(resources(s.serviceTemplate, "AWS::Lambda::Function"))).toHaveLength(4);
    s.serviceTemplate.allResourcesProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: "--enable-source-maps" }) },
    });
  });

  it.each(Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[])(
    "%s gets exactly the environment contract of lib/config.ts",
    (name) => {
      expect(Object.keys(envOf(name)).sort()).toEqual([...COMMON_ENV, ...FUNCTIONS[name].extra].sort());
      expect(envOf(name)).toMatchObject({
        POWERTOOLS_SERVICE_NAME: "session-keeper",
        POWERTOOLS_METRICS_NAMESPACE: "SessionKeeper",
        LOG_LEVEL: "INFO",
      });
    },
  );

  it("points KMS_KEY_ID at the session key and the tables at the stateful stack's tables", () => {
    const env = JSON.stringify(envOf("worker"));
    expect(env).toMatch(/SessionKey[A-Z0-9]+Arn/);
    expect(JSON.stringify(envOf("worker").SESSIONS_TABLE)).toContain("SessionsTable");
    expect(JSON.stringify(envOf("worker").BOT_STATE_TABLE)).toContain("BotStateTable");
  });

  it("configures the jobs from settings: worker concurrency 10, a 20 s check deadline, cleanup after 30 days", () => {
    expect(envOf("worker")).toMatchObject({ WORKER_CONCURRENCY: "10", CHECK_DEADLINE_MS: "20000" });
    expect(envOf("cleanup")).toMatchObject({ CLEANUP_AFTER_DAYS: "30" });
  });

  it("writes every function's logs to its own log group, kept for the configured retention", () => {
    const groups = resources(s.serviceTemplate, "AWS::Logs::LogGroup");
    expect(Object.keys(groups)).toHaveLength(5); // four functions + the webhook's access log
    s.serviceTemplate.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    for (const [, props] of Object.values(FUNCTIONS).map((f) =>
      functionByDescription(s.serviceTemplate, f.description),
    ))
      expect(JSON.stringify(props.LoggingConfig)).toMatch(/Logs[A-F0-9]+/);
  });

  it("gives the webhook function less time than API Gateway's 30 s limit", () => {
    expect(fn("adminBot")[1].Timeout).toBeLessThan(30);
  });
});

type Join = { "Fn::Join": [string, unknown[]] };
const stageOf = (template = s.serviceTemplate) => {
  const stages = Object.values(resources(template, "AWS::ApiGatewayV2::Stage"));
  expect(stages).toHaveLength(1);
  return stages[0]! as { Properties: Record<string, Record<string, unknown>>; DependsOn?: string[] };
};
const LOGIN_ROUTES = ["GET /login", "POST /login/state", "POST /login/code", "POST /login/password"];
const FLEET_ROUTES = ["GET /fleet", "POST /fleet/data"];

describe("the HTTP API", () => {
  it("has exactly the webhook and the Mini App login and fleet routes, all wired to the AdminBot through one integration", () => {
    const routes = Object.values(resources(s.serviceTemplate, "AWS::ApiGatewayV2::Route"));
    expect(routes.map((r) => joined(r.Properties?.RouteKey)).sort()).toEqual(
      [WEBHOOK_ROUTE_KEY_TEXT, ...LOGIN_ROUTES, ...FLEET_ROUTES].sort(),
    );
    expect([...LOGIN_ROUTE_KEYS].sort()).toEqual([...LOGIN_ROUTES].sort());
    const integrations = Object.entries(resources(s.serviceTemplate, "AWS::ApiGatewayV2::Integration"));
    expect(integrations).toHaveLength(1);
    const [integrationId, integration] = integrations[0]!;
    expect(integration.Properties).toMatchObject({
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
      IntegrationUri: { "Fn::GetAtt": [fn("adminBot")[0], "Arn"] },
    });
    for (const r of routes)
      expect(r.Properties?.Target).toEqual({ "Fn::Join": ["", ["integrations/", { Ref: integrationId }]] });
  });

  it("throttles the stage and writes access logs without headers or bodies", () => {
    const stage = stageOf().Properties;
    expect(stage.StageName).toBe("$default");
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    const format = String(stage.AccessLogSettings?.Format);
    expect(JSON.parse(format)).toMatchObject({
      status: "$context.status",
      sourceIp: "$context.identity.sourceIp",
    });
    expect(format).not.toMatch(/header|body|requestBody/i);
  });

  it("throttles each Mini App route (login, fleet page) to 5 requests/s, burst 10, and leaves the webhook to the stage's figures", () => {
    const login = { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 };
    expect(stageOf().Properties.RouteSettings).toEqual(
      Object.fromEntries([...LOGIN_ROUTES, ...FLEET_ROUTES].map((key) => [key, login])),
    );
  });

  it("creates the stage after the login routes, which CloudFormation needs for their route settings", () => {
    const routeIds = Object.entries(resources(s.serviceTemplate, "AWS::ApiGatewayV2::Route"))
      .filter(([, r]) => [...LOGIN_ROUTES, ...FLEET_ROUTES].includes(String(r.Properties?.RouteKey)))
      .map(([id]) => id);
    expect(routeIds).toHaveLength(6);
    expect(stageOf().DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it("follows the context for the login throttling", () => {
    const other = synthesize({ context: { loginRateLimit: "2", loginBurstLimit: 3 } });
    const settings = stageOf(other.serviceTemplate).Properties.RouteSettings!;
    expect(Object.keys(settings).sort()).toEqual([...LOGIN_ROUTES, ...FLEET_ROUTES].sort());
    for (const v of Object.values(settings))
      expect(v).toEqual({ ThrottlingRateLimit: 2, ThrottlingBurstLimit: 3 });
    expect(stageOf(other.serviceTemplate).Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 20,
    });
  });

  it("tells the AdminBot the Mini App's https URL: the API's endpoint + /login, as the MiniAppUrl output", () => {
    const url = envOf("adminBot").MINI_APP_URL as Join;
    const [apiId] = Object.keys(resources(s.serviceTemplate, "AWS::ApiGatewayV2::Api"));
    const parts = url["Fn::Join"][1];
    expect(parts[0]).toBe("https://");
    expect(parts[1]).toEqual({ Ref: apiId });
    expect(parts.at(-1)).toBe("/login");
    expect(JSON.stringify(parts)).not.toMatch(/Stage|Route|Integration/);
    const outputs = s.serviceTemplate.findOutputs("MiniAppUrl") as Record<string, { Value: unknown }>;
    expect(outputs.MiniAppUrl?.Value).toEqual(url);
    // The same address as the webhook's, but for the last segment.
    const webhook = (s.serviceTemplate.findOutputs("WebhookUrl").WebhookUrl as { Value: Join }).Value;
    expect(webhook["Fn::Join"][1].slice(0, -1)).toEqual(parts.slice(0, -1));
  });

  it("outputs the webhook's URL without its secret segment, for npm run webhook:set to complete", () => {
    const output = JSON.stringify(s.serviceTemplate.findOutputs("WebhookUrl"));
    expect(output).toContain("/webhook");
    expect(output).not.toContain("resolve:secretsmanager");
  });

  it("puts the webhook under /webhook/<path secret>, read by CloudFormation from the stateful stack's generated secret", () => {
    const route = Object.values(resources(s.serviceTemplate, "AWS::ApiGatewayV2::Route")).find((r) =>
      joined(r.Properties?.RouteKey).includes("/webhook"),
    )!;
    expect(joined(route.Properties?.RouteKey)).toBe(WEBHOOK_ROUTE_KEY_TEXT);
    expect(JSON.stringify(route.Properties?.RouteKey)).toContain("WebhookPathSecret");
    // No route answers the bare /webhook, so a caller with only the host name reaches no route at all.
    expect(
      Object.values(resources(s.serviceTemplate, "AWS::ApiGatewayV2::Route")).map((r) =>
        joined(r.Properties?.RouteKey),
      ),
    ).not.toContain("POST /webhook");
    // The access log names routes by id: the webhook's key would write the path secret into every line.
    expect(String(stageOf().Properties.AccessLogSettings?.Format)).not.toContain("routeKey");
  });

  it("reads a rotated path secret when given its VersionId (webhookPathVersion)", () => {
    const version = "a1b2c3d4-e5f6-47a8-99b0-c1d2e3f4a5b6";
    const rotated = synthesize({ context: { webhookPathVersion: version } });
    const keys = Object.values(resources(rotated.serviceTemplate, "AWS::ApiGatewayV2::Route")).map((r) =>
      joined(r.Properties?.RouteKey),
    );
    expect(keys).toContain(`POST /webhook/{{resolve:secretsmanager:<ref>:SecretString:::${version}}}`);
  });
});

describe("the schedules", () => {
  const schedules = () => Object.values(resources(s.serviceTemplate, "AWS::Scheduler::Schedule"));
  const scheduleFor = (name: keyof typeof FUNCTIONS) => {
    const [id] = fn(name);
    const found = schedules().filter((r) => JSON.stringify(r.Properties?.Target).includes(id));
    expect(found).toHaveLength(1);
    return found[0]!.Properties as Record<string, unknown> & { Target: Record<string, unknown> };
  };

  it("start the health check dispatch daily and the cleanup on Sundays at 00:00 UTC", () => {
    expect(schedules()).toHaveLength(2);
    expect(scheduleFor("dispatch")).toMatchObject({
      ScheduleExpression: "cron(0 3 * * ? *)",
      ScheduleExpressionTimezone: "Etc/UTC",
      State: "ENABLED",
    });
    expect(scheduleFor("cleanup")).toMatchObject({
      ScheduleExpression: "cron(0 0 ? * SUN *)",
      ScheduleExpressionTimezone: "Etc/UTC",
    });
  });

  it.each(["dispatch", "cleanup"] as const)(
    "deliver to %s with a retry policy and a dead-letter queue, and name the run in the input",
    (name) => {
      const target = scheduleFor(name).Target;
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 });
      expect(JSON.stringify(target.DeadLetterConfig)).toMatch(/FailedRunsQueue/);
      expect(String(target.Input)).toContain("<aws.scheduler.scheduled-time>");
    },
  );

  it.each(["dispatch", "cleanup"] as const)(
    "catch a failed %s run too: in the same dead-letter queue (cleanup after one Lambda retry)",
    (name) => {
      const [id, props] = fn(name);
      const dlq = JSON.stringify(scheduleFor(name).Target.DeadLetterConfig);
      expect(dlq).toContain(
        String(JSON.stringify(props.DeadLetterConfig)).match(/\w+FailedRunsQueue\w+/)?.[0],
      );
      s.serviceTemplate.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        FunctionName: { Ref: id },
        // The dispatcher is not retried (a retry is ignored as a duplicate of its run id); cleanup is, once.
        MaximumRetryAttempts: name === "dispatch" ? 0 : 1,
        MaximumEventAgeInSeconds: 3600,
      });
    },
  );

  it("follow the context: another schedule and time zone change the template", () => {
    const other = synthesize({
      context: {
        healthCheckSchedule: "rate(12 hours)",
        cleanupSchedule: "cron(30 1 ? * MON *)",
        scheduleTimeZone: "Asia/Tashkent",
        cleanupAfterDays: "45",
      },
    });
    const expressions = Object.values(resources(other.serviceTemplate, "AWS::Scheduler::Schedule")).map(
      (r) => [r.Properties?.ScheduleExpression, r.Properties?.ScheduleExpressionTimezone],
    );
    expect(expressions).toEqual(
      expect.arrayContaining([
        ["rate(12 hours)", "Asia/Tashkent"],
        ["cron(30 1 ? * MON *)", "Asia/Tashkent"],
      ]),
    );
    expect(JSON.stringify(other.serviceTemplate.toJSON())).toContain('"CLEANUP_AFTER_DAYS":"45"');
  });
});

describe("the health-check queue", () => {
  const queues = () => resources(s.serviceTemplate, "AWS::SQS::Queue");
  const healthQueue = () => {
    const found = Object.entries(queues()).filter(([id]) => id.startsWith("HealthCheckQueue"));
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it("hands a message to the dead-letter queue after 3 failed receives", () => {
    expect(healthQueue()[1].Properties?.RedrivePolicy).toMatchObject({ maxReceiveCount: 3 });
    expect(JSON.stringify(healthQueue()[1].Properties?.RedrivePolicy)).toContain("HealthCheckDeadLetters");
  });

  it("hides a message for at least 6× the worker's timeout, so no second worker takes a session mid-check", () => {
    const timeout = fn("worker")[1].Timeout as number;
    expect(healthQueue()[1].Properties?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
  });

  it("feeds the worker 8 at a time (one wave under the per-DC cap), reports partial failures, and runs at most 10 workers at once", () => {
    const [workerId] = fn("worker");
    s.serviceTemplate.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: workerId },
      EventSourceArn: { "Fn::GetAtt": [healthQueue()[0], "Arn"] },
      BatchSize: 8,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it("encrypts every queue and refuses plain-HTTP access to it", () => {
    const all = queues();
    expect(Object.keys(all)).toHaveLength(4); // health check, its DLQ, two job DLQs
    for (const q of Object.values(all)) expect(q.Properties?.SqsManagedSseEnabled).toBe(true);
    expect(Object.keys(resources(s.serviceTemplate, "AWS::SQS::QueuePolicy"))).toHaveLength(4);
  });
});

describe("the alarms", () => {
  const alarms = () => Object.values(resources(s.serviceTemplate, "AWS::CloudWatch::Alarm"));

  it("fire on any message in any dead-letter queue", () => {
    const dlqAlarms = alarms().filter(
      (a) => a.Properties?.MetricName === "ApproximateNumberOfMessagesVisible",
    );
    expect(dlqAlarms).toHaveLength(3);
    for (const a of dlqAlarms) expect(a.Properties).toMatchObject({ Threshold: 1, Statistic: "Maximum" });
  });

  it("fire on any error of any function, and on webhook 5xx", () => {
    const errors = alarms().filter((a) => a.Properties?.MetricName === "Errors");
    expect(errors).toHaveLength(4);
    expect(alarms().filter((a) => a.Properties?.MetricName === "5xx")).toHaveLength(1);
  });

  it("all notify the alarm topic", () => {
    const topicId = Object.keys(resources(s.serviceTemplate, "AWS::SNS::Topic"))[0];
    for (const a of alarms()) expect(a.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it("email the address in context alarmEmail", () => {
    const other = synthesize({ context: { alarmEmail: "ops@example.com" } });
    other.serviceTemplate.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
  });
});
