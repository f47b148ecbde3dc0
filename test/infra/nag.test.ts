/**
 * cdk-nag's AWS Solutions and Serverless packs run on every synthesis (infra/app.ts and these tests): a finding nobody has
 * acknowledged fails the build. Every acknowledgement says why, next to the resource it concerns.
 */
import { App, Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { AwsSolutionsChecks } from "cdk-nag";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { joined, resources, synthesize, WEBHOOK_ROUTE_KEY_TEXT } from "./synth";

interface Acknowledgement {
  id: string;
  reason: string;
}

function acknowledgements(source: Template | unknown): Acknowledgement[] {
  if (source instanceof Template)
    return Object.values(resources(source)).flatMap((r) => acknowledgements(r.Metadata));
  return (
    (source as { cdk_nag?: { rules_to_suppress?: Acknowledgement[] } } | undefined)?.cdk_nag
      ?.rules_to_suppress ?? []
  );
}

describe("cdk-nag (AwsSolutions and Serverless packs)", () => {
  it("finds nothing unacknowledged (errors or warnings) in either stack, and each acknowledgement gives its reason", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "session-keeper-nag-"));
    const s = synthesize({ outdir }); // throws "Validation failed" on any unacknowledged error
    // Warnings do not throw; the report lists every unacknowledged finding, warnings included.
    const report = JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")) as {
      pluginReports: unknown[];
    };
    rmSync(outdir, { recursive: true, force: true });
    expect(report.pluginReports).toEqual([]);
    // An acknowledgement is copied onto each resource of the construct it was made on (a role and its policy),
    // and one reason can serve several functions: compare the distinct rules, and check every copy's reason.
    const acks = [...acknowledgements(s.statefulTemplate), ...acknowledgements(s.serviceTemplate)];
    const rules = [...new Set(acks.map((a) => a.id))].sort();
    console.log(`cdk-nag acknowledged rules: ${rules.length}\n  ${rules.join("\n  ")}`);
    expect(rules).toEqual([
      "AwsSolutions-APIG4",
      "AwsSolutions-IAM5[Resource::<CleanupHandlerFunction5D032C60.Arn>:*]",
      "AwsSolutions-IAM5[Resource::<HealthCheckHandlerFunctionCDBD8769.Arn>:*]",
      "AwsSolutions-SMG4",
      "AwsSolutions-SNS2",
      "Serverless-LambdaAsyncFailureDestination",
      "Serverless-LambdaDLQ",
      "Serverless-LambdaEventSourceMappingDestination",
      "Serverless-LambdaTracing",
      "Serverless-SQSRedrivePolicy",
    ]);
    for (const a of acks) expect(a.reason.length, a.id).toBeGreaterThan(40);
  });

  it("acknowledges the missing API Gateway authorizer route by route, each with how the AdminBot authenticates it", () => {
    const s = synthesize();
    const routes = Object.values(resources(s.serviceTemplate, "AWS::ApiGatewayV2::Route"));
    // The webhook, the Mini App login form (page and its three steps) and the fleet page (page and data).
    expect(routes).toHaveLength(7);
    for (const route of routes) {
      const key = joined(route.Properties?.RouteKey);
      const apig4 = acknowledgements(route.Metadata).filter((a) => a.id === "AwsSolutions-APIG4");
      expect(apig4, key).toHaveLength(1);
      expect(apig4[0]!.reason, key).toMatch(
        key === WEBHOOK_ROUTE_KEY_TEXT ? /X-Telegram-Bot-Api-Secret-Token/ : /initData[\s\S]*HMAC/,
      );
    }
  });

  it("is really checking: a key without rotation fails synthesis with KMS5", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, "Probe", { env: { account: "123456789012", region: "eu-central-1" } });
    new Key(stack, "NotRotated");
    expect(() => app.synth()).toThrow(/AwsSolutions-KMS5/);
  });
});
