import { App } from "aws-cdk-lib";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, OFFLINE_ACCOUNT, readSettings, resolveEnvironment } from "../../infra/settings";

const node = (context: Record<string, unknown> = {}) => new App({ context }).node;

describe("deployment settings", () => {
  it("default to a daily check, a Sunday cleanup after 30 days, and at most 10 concurrent workers", () => {
    expect(readSettings(node())).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({
      cleanupSchedule: "cron(0 0 ? * SUN *)",
      cleanupAfterDays: 30,
      workerConcurrency: 10,
      healthCheckMaxConcurrency: 10,
      loginRateLimit: 5,
      loginBurstLimit: 10,
    });
  });

  it("match cdk.json's context, so synthesis and these defaults agree", () => {
    const cdkJson = JSON.parse(readFileSync(path.join(__dirname, "../../cdk.json"), "utf8")) as {
      context: Record<string, unknown>;
    };
    expect(readSettings(node(cdkJson.context))).toEqual(DEFAULT_SETTINGS);
  });

  it("take the login throttling from context", () => {
    expect(readSettings(node({ loginRateLimit: "2", loginBurstLimit: 4 }))).toMatchObject({
      loginRateLimit: 2,
      loginBurstLimit: 4,
    });
  });

  it("take the operator role's principals as a list (cdk.json) or comma-separated (-c)", () => {
    const alice = "arn:aws:iam::123456789012:role/OpsAlice";
    expect(readSettings(node({ operatorPrincipals: `${alice}, 210987654321` })).operatorPrincipals).toEqual([
      alice,
      "210987654321",
    ]);
    expect(readSettings(node({ operatorPrincipals: [alice] })).operatorPrincipals).toEqual([alice]);
  });

  it("take numbers given as strings on the command line (-c cleanupAfterDays=14)", () => {
    expect(readSettings(node({ cleanupAfterDays: "14", logLevel: "debug" }))).toMatchObject({
      cleanupAfterDays: 14,
      logLevel: "DEBUG",
    });
  });

  it.each([
    [
      { cleanupAfterDays: "soon" },
      "Context cleanupAfterDays is soon: set it to a whole number from 1 to 3650.",
    ],
    [
      { healthCheckMaxConcurrency: 1 },
      "Context healthCheckMaxConcurrency is 1: set it to a whole number from 2 to 1000.",
    ],
    [{ loginRateLimit: 0 }, "Context loginRateLimit is 0: set it to a whole number from 1 to 100."],
    [{ loginRateLimit: "2.5" }, "Context loginRateLimit is 2.5: set it to a whole number from 1 to 100."],
    [{ loginBurstLimit: "lots" }, "Context loginBurstLimit is lots: set it to a whole number from 1 to 200."],
    [{ loginBurstLimit: 500 }, "Context loginBurstLimit is 500: set it to a whole number from 1 to 200."],
    [{ logLevel: "LOUD" }, "Context logLevel is LOUD: set it to one of DEBUG, INFO, WARN, ERROR, SILENT."],
    [{ alarmEmail: "ops" }, "Context alarmEmail is ops: set it to an email address, or leave it out."],
    [
      { operatorPrincipals: "alice" },
      "Context operatorPrincipals has alice: give IAM role or user ARNs (arn:aws:iam::<account>:role/<name>) or 12-digit account ids, comma-separated.",
    ],
    [{ operatorPrincipals: [1] }, "Context operatorPrincipals must be a list of strings"],
    [
      { webhookPathVersion: "latest" },
      "Context webhookPathVersion is latest: set it to the VersionId that put-secret-value printed.",
    ],
  ])("refuse %j with one line naming the key", (context, message) => {
    expect(() => readSettings(node(context))).toThrow(message);
  });
});

describe("the account and region", () => {
  it("come from context first, then CDK_DEPLOY_*, then the CLI's credentials", () => {
    const env = {
      CDK_DEPLOY_ACCOUNT: "111111111111",
      CDK_DEFAULT_ACCOUNT: "222222222222",
      CDK_DEFAULT_REGION: "us-east-1",
    };
    expect(resolveEnvironment(node({ account: "333333333333", region: "eu-west-1" }), env)).toEqual({
      account: "333333333333",
      region: "eu-west-1",
      offline: false,
    });
    expect(resolveEnvironment(node(), env)).toEqual({
      account: "111111111111",
      region: "us-east-1",
      offline: false,
    });
  });

  it("fall back to an offline placeholder so synth works without AWS", () => {
    expect(resolveEnvironment(node(), {})).toEqual({
      account: OFFLINE_ACCOUNT,
      region: "eu-central-1",
      offline: true,
    });
  });

  it("refuse something that is not an account id", () => {
    expect(() => resolveEnvironment(node({ account: "my-account" }), {})).toThrow(
      "not a 12-digit AWS account id",
    );
  });
});
