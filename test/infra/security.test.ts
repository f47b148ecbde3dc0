/**
 * What a security reviewer checks in the IAM of a system that holds Telegram sessions: who may open a session,
 * who may seal one, that nothing can destroy the tables, and that no secret sits in the template.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { READ_ACTIONS, WRITE_ACTIONS } from "../../infra/constructs/table-access";
import {
  functionByDescription,
  joined,
  resources,
  synthesize,
  type Statement,
  type Synthesized,
} from "./synth";

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);

/** Every Allow statement of every identity policy in both stacks, with the role(s) it is attached to. */
function identityStatements(): { roles: string[]; statement: Statement }[] {
  const out: { roles: string[]; statement: Statement }[] = [];
  for (const template of [s.statefulTemplate, s.serviceTemplate]) {
    for (const policy of Object.values(resources(template, "AWS::IAM::Policy"))) {
      const props = policy.Properties as {
        PolicyDocument: { Statement: Statement[] };
        Roles: { Ref: string }[];
      };
      for (const statement of props.PolicyDocument.Statement)
        if (statement.Effect === "Allow") out.push({ roles: props.Roles.map((r) => r.Ref), statement });
    }
    for (const [id, role] of Object.entries(resources(template, "AWS::IAM::Role"))) {
      const inline = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
      for (const p of inline)
        for (const statement of p.PolicyDocument.Statement) out.push({ roles: [id], statement });
    }
  }
  return out;
}

function roleOf(description: string): string {
  const [, props] = functionByDescription(s.serviceTemplate, description);
  return (props.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
}

const ROLES = {
  adminBot: () => roleOf("AdminBot"),
  dispatch: () => roleOf("queues every active session"),
  worker: () => roleOf("checks a batch of sessions"),
  cleanup: () => roleOf("deletes error sessions"),
};

/** The operator role's logical id (stateful stack). */
function OPERATOR(): string {
  const [id] = Object.entries(resources(s.statefulTemplate, "AWS::IAM::Role")).find(([, r]) =>
    String(r.Properties?.RoleName).includes("-operator-"),
  )!;
  return id;
}

function statementsOf(role: string): Statement[] {
  return identityStatements()
    .filter((e) => e.roles.includes(role))
    .map((e) => e.statement);
}

function sessionKeyActions(role: string): string[] {
  return statementsOf(role)
    .filter((st) => JSON.stringify(st.Resource).includes("SessionKey"))
    .flatMap(actionsOf)
    .sort();
}

describe("IAM", () => {
  it("grants no wildcard action on KMS or DynamoDB to anyone", () => {
    const wildcards = identityStatements()
      .flatMap((e) => actionsOf(e.statement))
      .filter((a) => /^(kms|dynamodb):.*\*/.test(a) || a === "*");
    expect(wildcards).toEqual([]);
  });

  it("gives each function its own role, and no role an AWS-managed policy", () => {
    const roles = Object.values(ROLES).map((r) => r());
    expect(new Set(roles).size).toBe(4);
    for (const role of Object.values(resources(s.serviceTemplate, "AWS::IAM::Role")))
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
  });

  it("lets no function delete, re-create or reconfigure a table: item-level DynamoDB actions only", () => {
    const allowed = new Set<string>([...READ_ACTIONS, ...WRITE_ACTIONS]);
    for (const role of Object.values(ROLES)) {
      const dynamo = statementsOf(role())
        .flatMap(actionsOf)
        .filter((a) => a.startsWith("dynamodb:"));
      expect(dynamo.length).toBeGreaterThan(0);
      expect(dynamo.filter((a) => !allowed.has(a))).toEqual([]);
    }
    expect(statementsOf(ROLES.adminBot()).flatMap(actionsOf)).not.toContain("dynamodb:DeleteTable");
  });

  it("never lets a function scan a table; only the operator role may (sessions backup)", () => {
    const scanners = identityStatements().filter((e) => actionsOf(e.statement).includes("dynamodb:Scan"));
    expect([...new Set(scanners.flatMap((e) => e.roles))]).toEqual([OPERATOR()]);
  });

  it("lets only the health-check dispatch read sessions without writing them", () => {
    const writes = (role: string) =>
      statementsOf(role).some(
        (st) => JSON.stringify(st.Resource).includes("SessionsTable") && actionsOf(st).includes(action),
      );
    let action = "dynamodb:UpdateItem";
    expect(writes(ROLES.dispatch())).toBe(false);
    expect(writes(ROLES.adminBot())).toBe(true);
    expect(writes(ROLES.worker())).toBe(true);
    expect(writes(ROLES.cleanup())).toBe(true);
    // Only logins (the AdminBot) create sessions (test/infra/access.test.ts asks it per item family).
    action = "dynamodb:PutItem";
    expect(writes(ROLES.adminBot())).toBe(true);
    expect(writes(ROLES.dispatch())).toBe(false);
  });

  it("lets the AdminBot and the operator seal and open sessions, the worker and the cleanup only open them, dispatch neither", () => {
    expect(sessionKeyActions(ROLES.adminBot())).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(sessionKeyActions(OPERATOR())).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(sessionKeyActions(ROLES.worker())).toEqual(["kms:Decrypt"]);
    // The cleanup logs each key out at Telegram before destroying it.
    expect(sessionKeyActions(ROLES.cleanup())).toEqual(["kms:Decrypt"]);
    expect(sessionKeyActions(ROLES.dispatch())).toEqual([]);
  });

  it("conditions every use of the session key on the encryption context app=session-keeper", () => {
    const uses = identityStatements().filter((e) =>
      JSON.stringify(e.statement.Resource).includes("SessionKey"),
    );
    expect(uses.length).toBe(6);
    for (const { statement } of uses)
      expect(statement.Condition).toEqual({
        StringEquals: { "kms:EncryptionContext:app": "session-keeper" },
      });
  });

  it("lets the table key be used only through DynamoDB, never called directly", () => {
    const uses = identityStatements().filter((e) =>
      JSON.stringify(e.statement.Resource).includes("TableKey"),
    );
    expect(uses.length).toBeGreaterThan(0);
    for (const { statement } of uses)
      expect(statement.Condition).toEqual({
        StringEquals: { "kms:ViaService": "dynamodb.eu-central-1.amazonaws.com" },
      });
  });

  it("lets the operator role do what `sessions migrate-encryption` needs: page the status index, read and rewrite a session row, open and seal, read the context key", () => {
    const on = (pattern: RegExp) =>
      statementsOf(OPERATOR())
        .filter((st) => pattern.test(JSON.stringify(st.Resource)))
        .flatMap(actionsOf);
    expect(on(/SessionsTable.*\/index\/byStatus/)).toContain("dynamodb:Query");
    expect(on(/SessionsTable/)).toEqual(expect.arrayContaining(["dynamodb:GetItem", "dynamodb:UpdateItem"]));
    expect(sessionKeyActions(OPERATOR())).toEqual(["kms:Decrypt", "kms:GenerateDataKey"]);
    expect(on(/ContextKeySecret/)).toContain("secretsmanager:GetSecretValue");
  });

  it("lets only the AdminBot and the operator role (npm run webhook:set) read the webhook secret", () => {
    const readers = identityStatements().filter((e) =>
      JSON.stringify(e.statement.Resource).includes("WebhookSecret"),
    );
    expect(readers.flatMap((e) => e.roles).sort()).toEqual([ROLES.adminBot(), OPERATOR()].sort());
  });
});

describe("the HTTP API", () => {
  it("may invoke the AdminBot only on its own routes' paths, so no other path reaches the function", () => {
    const [adminBotId] = functionByDescription(s.serviceTemplate, "AdminBot");
    const permissions = Object.values(resources(s.serviceTemplate, "AWS::Lambda::Permission")).filter((p) =>
      JSON.stringify(p.Properties?.FunctionName).includes(adminBotId),
    );
    const paths = permissions.map((p) => {
      expect(p.Properties?.Principal).toBe("apigateway.amazonaws.com");
      return joined(p.Properties?.SourceArn).replace(/^arn:<ref>:execute-api:[^:]*:[0-9]*:<ref>/, "");
    });
    expect(paths.sort()).toEqual(
      [
        "/*/*/login",
        "/*/*/login/code",
        "/*/*/login/password",
        "/*/*/login/state",
        "/*/*/fleet",
        "/*/*/fleet/data",
        "/*/*/webhook/{{resolve:secretsmanager:<ref>:SecretString:::}}",
      ].sort(),
    );
  });

  it("gives no route an API Gateway authorizer: the AdminBot authenticates every call itself", () => {
    for (const route of Object.values(resources(s.serviceTemplate, "AWS::ApiGatewayV2::Route")))
      expect(route.Properties?.AuthorizationType).toBe("NONE");
  });
});

describe("secrets in the template", () => {
  it("reach functions as ARNs, never as values; only the webhook path secret is resolved, into its route", () => {
    const resolving = Object.entries({
      ...resources(s.statefulTemplate),
      ...resources(s.serviceTemplate),
    }).filter(([, r]) => JSON.stringify(r).includes("{{resolve:secretsmanager"));
    // The route and API Gateway's permission to invoke the AdminBot on that route: the path, never a token.
    expect(resolving.map(([, r]) => r.Type).sort()).toEqual([
      "AWS::ApiGatewayV2::Route",
      "AWS::Lambda::Permission",
    ]);
    for (const [, r] of resolving) expect(JSON.stringify(r)).toContain("WebhookPathSecret");
    for (const fn of Object.values(resources(s.serviceTemplate, "AWS::Lambda::Function"))) {
      const names = Object.keys((fn.Properties?.Environment as { Variables: object }).Variables);
      expect(names.filter((n) => /TOKEN|HASH|PASSWORD|SECRET(?!_ARN)/.test(n))).toEqual([]);
    }
  });

  it("are not in any output", () => {
    const outputs = JSON.stringify([s.statefulTemplate.findOutputs("*"), s.serviceTemplate.findOutputs("*")]);
    expect(outputs).not.toMatch(/SecretString|resolve:secretsmanager/);
  });
});

describe("what the operator's CLI may start and read of the service stack", () => {
  /** The statements of the service stack's policies attached to the operator role (imported from the stateful stack). */
  function operatorStatements(): Statement[] {
    return Object.values(resources(s.serviceTemplate, "AWS::IAM::Policy"))
      .filter((p) => JSON.stringify(p.Properties?.Roles).includes("OperatorRole"))
      .flatMap(
        (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
      );
  }
  const arnsOf = (st: Statement) =>
    (Array.isArray(st.Resource) ? st.Resource : [st.Resource]).map(
      (r) => (r as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0],
    );
  const ofType = (type: string) => Object.keys(resources(s.serviceTemplate, type)).sort();

  it("may invoke the health check's dispatcher and no other function (sessions check --all --deployed)", () => {
    const invokes = operatorStatements().filter((st) => actionsOf(st).includes("lambda:InvokeFunction"));
    expect(invokes).toHaveLength(1);
    expect(actionsOf(invokes[0]!)).toEqual(["lambda:InvokeFunction"]);
    const [dispatcher] = functionByDescription(s.serviceTemplate, "queues every active session");
    expect(arnsOf(invokes[0]!)).toEqual([dispatcher]);
  });

  it("may read exactly the dead-letter queues' depths, the stack's alarms and its schedules, nothing else", () => {
    const statements = operatorStatements();
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      "cloudwatch:DescribeAlarms",
      "lambda:InvokeFunction",
      "scheduler:GetSchedule",
      "sqs:GetQueueAttributes",
    ]);
    const resourcesOf = (action: string) =>
      statements
        .filter((st) => actionsOf(st).includes(action))
        .flatMap(arnsOf)
        .sort();
    // Every alarm of the stack; the three dead-letter queues (not the health-check queue itself); both schedules.
    expect(resourcesOf("cloudwatch:DescribeAlarms")).toEqual(ofType("AWS::CloudWatch::Alarm"));
    const queues = ofType("AWS::SQS::Queue").filter((id) => !id.startsWith("HealthCheckQueue"));
    expect(resourcesOf("sqs:GetQueueAttributes")).toEqual(queues);
    expect(queues).toHaveLength(3);
    expect(resourcesOf("scheduler:GetSchedule")).toEqual(ofType("AWS::Scheduler::Schedule"));
    const outputs = Object.keys((s.serviceTemplate.toJSON() as { Outputs: Record<string, unknown> }).Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining([
        "HealthCheckDispatcherName",
        "AlarmNames",
        "HealthCheckDeadLettersUrl",
        "HealthCheckScheduleDeadLettersUrl",
        "CleanupScheduleDeadLettersUrl",
        "HealthCheckScheduleName",
        "CleanupScheduleName",
      ]),
    );
  });
});
