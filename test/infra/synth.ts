/**
 * Builds the CDK app the way `npm run synth` does (cdk.json's context, cdk-nag's AWS Solutions and Serverless
 * checks), for assertions.
 * Bundling is skipped unless asked for: the templates are the same, only the assets are empty.
 */
import { App, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { addSessionKeeperStacks, type SessionKeeperStacks } from "../../infra/session-keeper";
import { readSettings } from "../../infra/settings";

export const ACCOUNT = "123456789012";
export const REGION = "eu-central-1";

const cdkJson = JSON.parse(readFileSync(path.join(__dirname, "../../cdk.json"), "utf8")) as {
  context: Record<string, unknown>;
};

export interface Synthesized extends SessionKeeperStacks {
  readonly app: App;
  readonly statefulTemplate: Template;
  readonly serviceTemplate: Template;
  /** Only when the edge (setting `edgeRateLimit`) is on. */
  readonly edgeTemplate?: Template;
}

export function synthesize(
  options: { context?: Record<string, unknown>; bundle?: boolean; outdir?: string } = {},
): Synthesized {
  const app = new App({
    context: {
      ...cdkJson.context,
      ...(options.bundle ? {} : { "aws:cdk:bundling-stacks": [] }),
      ...options.context,
    },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }),
    new ServerlessChecks(app, { writeSuppressionsToCloudFormation: true }),
  );
  const stacks = addSessionKeeperStacks(app, readSettings(app.node), { account: ACCOUNT, region: REGION });
  // Template.fromStack synthesizes the app, which runs the checks: an unacknowledged finding throws here.
  return {
    app,
    ...stacks,
    statefulTemplate: Template.fromStack(stacks.stateful),
    serviceTemplate: Template.fromStack(stacks.service),
    ...(stacks.edge ? { edgeTemplate: Template.fromStack(stacks.edge) } : {}),
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: unknown }>;

export function resources(template: Template, type?: string): Resources {
  const all = template.toJSON() as { Resources: Resources };
  return Object.fromEntries(Object.entries(all.Resources).filter(([, r]) => !type || r.Type === type));
}

/** The one Lambda function whose description contains `fragment`: its logical id and properties. */
export function functionByDescription(
  template: Template,
  fragment: string,
): [string, Record<string, unknown>] {
  const matches = Object.entries(resources(template, "AWS::Lambda::Function")).filter(([, r]) =>
    String(r.Properties?.Description ?? "").includes(fragment),
  );
  if (matches.length !== 1)
    throw new Error(`Expected one function described "${fragment}", got ${matches.length}`);
  const [id, r] = matches[0]!;
  return [id, r.Properties ?? {}];
}

/** One statement of an IAM identity policy, as the template holds it. */
export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A template value as text: an `Fn::Join` concatenated, each reference or import inside it written `<ref>`. */
export function joined(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (join) return join[1].map(joined).join(join[0]);
  return "<ref>";
}

/** The webhook's route key as deployed: the path secret is read from Secrets Manager by CloudFormation. */
export const WEBHOOK_ROUTE_KEY_TEXT = "POST /webhook/{{resolve:secretsmanager:<ref>:SecretString:::}}";
