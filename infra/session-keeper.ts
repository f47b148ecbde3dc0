/**
 * Both stacks of a deployment, wired together. `infra/app.ts` calls this for `cdk synth/deploy`; the tests call it
 * with their own settings.
 */
import type { App } from "aws-cdk-lib";
import { roleName } from "./access";
import { EDGE_REGION, EdgeStack } from "./edge-stack";
import { ServiceStack } from "./service-stack";
import { type DeploymentSettings, type ResolvedEnvironment } from "./settings";
import { StatefulStack } from "./stateful-stack";

export interface SessionKeeperStacks {
  readonly stateful: StatefulStack;
  readonly service: ServiceStack;
  /** Only with the setting `edgeRateLimit`: the web ACL in us-east-1. */
  readonly edge?: EdgeStack;
}

export function addSessionKeeperStacks(
  app: App,
  settings: DeploymentSettings,
  environment: Pick<ResolvedEnvironment, "account" | "region">,
): SessionKeeperStacks {
  const env = { account: environment.account, region: environment.region };
  const prefix = settings.stackPrefix;
  const roleNames = {
    adminBot: roleName(prefix, env.region, "adminBot"),
    healthCheckDispatch: roleName(prefix, env.region, "healthCheckDispatch"),
    healthCheckWorker: roleName(prefix, env.region, "healthCheckWorker"),
    cleanup: roleName(prefix, env.region, "cleanup"),
    operator: roleName(prefix, env.region, "operator"),
  };
  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    env,
    roleNames,
    ...(settings.operatorPrincipals ? { operatorPrincipals: settings.operatorPrincipals } : {}),
    description: "Session Keeper: sessions and bot-state tables, encryption keys, secrets (kept on delete)",
    aliasPrefix: prefix.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase(),
  });
  const edge =
    settings.edgeRateLimit === undefined
      ? undefined
      : new EdgeStack(app, `${prefix}-Edge`, {
          env: { account: env.account, region: EDGE_REGION },
          description:
            "Session Keeper: per-caller rate limit (WAF web ACL for CloudFront, always in us-east-1)",
          rateLimit: settings.edgeRateLimit,
          metricPrefix: prefix,
        });
  const service = new ServiceStack(app, `${prefix}-Service`, {
    env,
    ...(edge ? { edgeWebAclArn: edge.webAcl.attrArn, crossRegionReferences: true } : {}),
    description: "Session Keeper: AdminBot webhook, health check, cleanup, alarms",
    stateful,
    settings,
    roleNames,
  });
  if (edge) service.addDependency(edge);
  return { stateful, service, ...(edge ? { edge } : {}) };
}
