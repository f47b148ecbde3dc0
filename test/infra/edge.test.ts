/**
 * The optional per-caller rate limit (setting `edgeRateLimit`): off by default; on, a WAF web ACL in us-east-1 and a
 * CloudFront distribution in front of the API, Telegram and the Mini App sent to the distribution, cdk-nag clean.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TELEGRAM_WEBHOOK_RANGES } from "../../infra/edge-stack";
import { resources, synthesize, type Synthesized } from "./synth";

interface RateRule {
  Name: string;
  Action: { Block?: { CustomResponse?: { ResponseCode: number } } };
  Statement: {
    RateBasedStatement?: {
      AggregateKeyType: string;
      Limit: number;
      EvaluationWindowSec: number;
      ScopeDownStatement: { NotStatement: { Statement: { IPSetReferenceStatement: { Arn: unknown } } } };
    };
  };
}

function outputValue(template: Template, name: string): string {
  const outputs = (template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
  return JSON.stringify(outputs[name]?.Value);
}

describe("per-caller rate limiting at the edge (edgeRateLimit)", () => {
  // Two syntheses for the whole file (each takes seconds): the default, and the edge on with cdk-nag's report kept.
  let off: Synthesized;
  let on: Synthesized;
  let nagReport: { pluginReports: unknown[] };
  beforeAll(() => {
    off = synthesize();
    const outdir = mkdtempSync(path.join(tmpdir(), "session-keeper-edge-nag-"));
    try {
      on = synthesize({ context: { edgeRateLimit: "600" }, outdir }); // throws on an unacknowledged error
      nagReport = JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")) as {
        pluginReports: unknown[];
      };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it("is off by default: no edge stack, no distribution, Telegram posts to the API's own address", () => {
    const s = off;
    expect(s.edge).toBeUndefined();
    expect(Object.keys(resources(s.serviceTemplate, "AWS::CloudFront::Distribution"))).toEqual([]);
    expect(outputValue(s.serviceTemplate, "WebhookUrl")).toContain("execute-api");
  });

  it("on: a web ACL in us-east-1 that answers 429 past the limit per client IP, never counting Telegram's senders", () => {
    const s = on;
    expect(s.edge?.region).toBe("us-east-1");
    const acls = Object.values(resources(s.edgeTemplate!, "AWS::WAFv2::WebACL"));
    expect(acls).toHaveLength(1);
    const acl = acls[0]!.Properties as { Scope: string; DefaultAction: unknown; Rules: RateRule[] };
    expect(acl.Scope).toBe("CLOUDFRONT");
    expect(acl.DefaultAction).toEqual({ Allow: {} });
    const rule = acl.Rules.find((r) => r.Statement.RateBasedStatement)!;
    expect(rule.Statement.RateBasedStatement).toMatchObject({
      AggregateKeyType: "IP",
      Limit: 600,
      EvaluationWindowSec: 300,
    });
    expect(rule.Action.Block?.CustomResponse?.ResponseCode).toBe(429);
    const ipSets = resources(s.edgeTemplate!, "AWS::WAFv2::IPSet");
    const [ipSetId, ipSet] = Object.entries(ipSets)[0]!;
    expect(ipSet.Properties?.Addresses).toEqual([...TELEGRAM_WEBHOOK_RANGES]);
    expect(
      rule.Statement.RateBasedStatement!.ScopeDownStatement.NotStatement.Statement.IPSetReferenceStatement
        .Arn,
    ).toEqual({ "Fn::GetAtt": [ipSetId, "Arn"] });
  });

  it("on: a distribution carrying the web ACL forwards everything uncached to the API, and the URLs are its own", () => {
    const s = on;
    const distributions = Object.values(resources(s.serviceTemplate, "AWS::CloudFront::Distribution"));
    expect(distributions).toHaveLength(1);
    const config = (
      distributions[0]!.Properties as {
        DistributionConfig: {
          WebACLId: unknown;
          DefaultCacheBehavior: { AllowedMethods: string[]; ViewerProtocolPolicy: string };
          Origins: { DomainName: unknown; CustomOriginConfig: { OriginProtocolPolicy: string } }[];
        };
      }
    ).DistributionConfig;
    // The ACL's ARN crosses regions through CDK's reader of the edge stack's exports.
    expect(JSON.stringify(config.WebACLId)).toContain("EdgeWebAcl");
    expect(config.DefaultCacheBehavior.AllowedMethods).toContain("POST");
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe("https-only");
    expect(config.Origins[0]!.CustomOriginConfig.OriginProtocolPolicy).toBe("https-only");
    expect(JSON.stringify(config.Origins[0]!.DomainName)).toContain("execute-api");
    for (const output of ["WebhookUrl", "MiniAppUrl"]) {
      expect(outputValue(s.serviceTemplate, output)).toContain("DomainName");
      expect(outputValue(s.serviceTemplate, output)).not.toContain("execute-api");
    }
    // The Mini App button points at the distribution too.
    const env = JSON.stringify(
      Object.values(resources(s.serviceTemplate, "AWS::Lambda::Function")).map(
        (f) =>
          (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
            ?.MINI_APP_URL,
      ),
    );
    expect(env).toContain("DomainName");
  });

  it("on: cdk-nag finds nothing unacknowledged in any of the three stacks", () => {
    expect(nagReport.pluginReports).toEqual([]);
  });

  it("refuses a limit WAF would refuse", () => {
    expect(() => synthesize({ context: { edgeRateLimit: 5 } })).toThrow(
      /edgeRateLimit is 5.*10 to 2000000000/,
    );
    expect(() => synthesize({ context: { edgeRateLimit: "lots" } })).toThrow(/edgeRateLimit/);
  });
});
