/**
 * cdk-nag's AWS Solutions pack runs on every synthesis (infra/app.ts and these tests): a finding nobody has
 * acknowledged fails the build. Every acknowledgement says why, next to the resource it concerns.
 */
import { App, Stack, Validations } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import { Key } from "aws-cdk-lib/aws-kms";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { resources, synthesize } from "./synth";

interface Acknowledgement {
  id: string;
  reason: string;
}

function acknowledgements(template: Template): Acknowledgement[] {
  return Object.values(resources(template)).flatMap(
    (r) =>
      (r.Metadata as { cdk_nag?: { rules_to_suppress?: Acknowledgement[] } } | undefined)?.cdk_nag
        ?.rules_to_suppress ?? [],
  );
}

describe("cdk-nag AwsSolutions", () => {
  it("finds nothing unacknowledged in either stack, and each acknowledgement gives its reason", () => {
    const s = synthesize(); // throws "Validation failed" on any unacknowledged finding
    // The acknowledgement of a construct is copied onto each of its resources (a role and its policy): count once.
    const unique = new Map(
      [...acknowledgements(s.statefulTemplate), ...acknowledgements(s.serviceTemplate)].map((a) => [
        `${a.id} ${a.reason}`,
        a,
      ]),
    );
    const acks = [...unique.values()];
    console.log(`cdk-nag acknowledgements: ${acks.length} (${acks.map((a) => a.id).join(", ")})`);
    expect(acks.map((a) => a.id.replace(/\[.*$/, "")).sort()).toEqual([
      "AwsSolutions-APIG4",
      "AwsSolutions-IAM5",
      "AwsSolutions-IAM5",
      "AwsSolutions-SMG4",
      "AwsSolutions-SMG4",
      "AwsSolutions-SNS2",
    ]);
    for (const a of acks) expect(a.reason.length, a.id).toBeGreaterThan(40);
  });

  it("is really checking: a key without rotation fails synthesis with KMS5", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, "Probe", { env: { account: "123456789012", region: "eu-central-1" } });
    new Key(stack, "NotRotated");
    expect(() => app.synth()).toThrow(/AwsSolutions-KMS5/);
  });
});
