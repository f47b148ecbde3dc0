/**
 * What an operator can change about a deployment, read from CDK context (`cdk.json`, or `-c key=value` on the
 * command line). Every setting has a default that works for a fleet of up to ~10,000 sessions; a bad value stops
 * synthesis with one line naming the key.
 */
import type { Node } from "constructs";

/** The account used when none is known, so `cdk synth` works offline. Never deployable: see `resolveEnvironment`. */
export const OFFLINE_ACCOUNT = "000000000000";
/** Frankfurt: close to Telegram's European data centres (DC2/DC4 in Amsterdam). */
export const DEFAULT_REGION = "eu-central-1";

export interface DeploymentSettings {
  /** Prefix of both stack names (`<prefix>-Stateful`, `<prefix>-Service`). @default "SessionKeeper" */
  readonly stackPrefix: string;
  /** When the daily health check starts (EventBridge Scheduler expression). @default "cron(0 3 * * ? *)" */
  readonly healthCheckSchedule: string;
  /** When the weekly cleanup runs. @default "cron(0 0 ? * SUN *)" (Sunday 00:00, the seed's `0 0 * * 0`) */
  readonly cleanupSchedule: string;
  /** IANA time zone the schedules are read in. @default "Etc/UTC" */
  readonly scheduleTimeZone: string;
  /** Cleanup deletes `error` sessions last updated more than this many days ago. @default 30 */
  readonly cleanupAfterDays: number;
  /** Sessions one worker invocation checks at the same time. @default 10 */
  readonly workerConcurrency: number;
  /** Hard time limit of one session check, in seconds. @default 20 */
  readonly checkDeadlineSeconds: number;
  /**
   * Worker invocations running at once (SQS event source maximum concurrency): caps how many Telegram connections
   * the fleet opens from Lambda's IP ranges at one time (× `workerConcurrency`, and × 8 per data centre). Between 2
   * and 1000. @default 10
   */
  readonly healthCheckMaxConcurrency: number;
  /** `LOG_LEVEL` of every function: DEBUG, INFO, WARN, ERROR or SILENT. @default "INFO" */
  readonly logLevel: string;
  /** Days CloudWatch keeps function and access logs. @default 30 */
  readonly logRetentionDays: number;
  /** Steady webhook requests per second API Gateway lets through. @default 20 */
  readonly webhookRateLimit: number;
  /** Webhook burst allowance. @default 40 */
  readonly webhookBurstLimit: number;
  /**
   * The VersionId Secrets Manager gave the webhook path secret's new value, after rotating it: CloudFormation only
   * reads a secret again when its reference changes (README: Rotating the secrets). @default none (the current value)
   */
  readonly webhookPathVersion?: string;
  /**
   * Steady requests per second API Gateway lets through to each route of the Mini App (`GET /login`, its
   * `POST /login/…` steps; the fleet page `GET /fleet`, `POST /fleet/data`): a person types a code or opens a page,
   * so a few a second is plenty. Between 1 and 100. @default 5
   */
  readonly loginRateLimit: number;
  /** Login routes' burst allowance, each. Between 1 and 200. @default 10 */
  readonly loginBurstLimit: number;
  /** An address that gets the alarms by email (confirm the subscription AWS sends). @default none */
  readonly alarmEmail?: string;
  /**
   * Who may assume the operator role (the CLI's access to the session key): IAM user or role ARNs, or account ids,
   * comma-separated. @default none: the deployment's own account, where each identity's IAM policy must also allow
   * `sts:AssumeRole` on the role
   */
  readonly operatorPrincipals?: readonly string[];
  /**
   * Per-caller rate limiting, off unless set: requests one client IP may make in 5 minutes before it is answered
   * 429. Setting it puts a CloudFront distribution with a WAF web ACL (stack `<prefix>-Edge`, in us-east-1) in
   * front of the API; the webhook and the Mini App are then served at the distribution's address. Telegram's webhook
   * senders are never counted. Between 10 and 2,000,000,000 (WAF's bounds). @default none (no edge)
   */
  readonly edgeRateLimit?: number;
}

export const DEFAULT_SETTINGS: DeploymentSettings = {
  stackPrefix: "SessionKeeper",
  healthCheckSchedule: "cron(0 3 * * ? *)",
  cleanupSchedule: "cron(0 0 ? * SUN *)",
  scheduleTimeZone: "Etc/UTC",
  cleanupAfterDays: 30,
  workerConcurrency: 10,
  checkDeadlineSeconds: 20,
  healthCheckMaxConcurrency: 10,
  logLevel: "INFO",
  logRetentionDays: 30,
  webhookRateLimit: 20,
  webhookBurstLimit: 40,
  loginRateLimit: 5,
  loginBurstLimit: 10,
};

const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR", "SILENT"];

export class SettingsError extends Error {}

/** Reads the settings from `node`'s context (an `App`'s node), falling back to the defaults. */
export function readSettings(node: Node): DeploymentSettings {
  const text = (key: keyof DeploymentSettings): string | undefined => {
    const v: unknown = node.tryGetContext(key);
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string" && typeof v !== "number")
      throw new SettingsError(`Context ${key} must be a value.`);
    return String(v);
  };
  const integer = (key: keyof DeploymentSettings, fallback: number, min: number, max: number): number => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new SettingsError(`Context ${key} is ${raw}: set it to a whole number from ${min} to ${max}.`);
    return n;
  };
  const d = DEFAULT_SETTINGS;
  const logLevel = (text("logLevel") ?? d.logLevel).toUpperCase();
  if (!LOG_LEVELS.includes(logLevel))
    throw new SettingsError(`Context logLevel is ${logLevel}: set it to one of ${LOG_LEVELS.join(", ")}.`);
  const alarmEmail = text("alarmEmail");
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail))
    throw new SettingsError(
      `Context alarmEmail is ${alarmEmail}: set it to an email address, or leave it out.`,
    );
  const webhookPathVersion = text("webhookPathVersion");
  if (webhookPathVersion !== undefined && !/^[0-9a-f-]{32,64}$/i.test(webhookPathVersion))
    throw new SettingsError(
      `Context webhookPathVersion is ${webhookPathVersion}: set it to the VersionId that put-secret-value printed.`,
    );
  const edgeRate = text("edgeRateLimit");
  const edgeRateLimit = edgeRate === undefined ? undefined : integer("edgeRateLimit", 0, 10, 2_000_000_000);
  const operatorPrincipals = list(node, "operatorPrincipals");
  for (const p of operatorPrincipals ?? [])
    if (!OPERATOR_PRINCIPAL.test(p))
      throw new SettingsError(
        `Context operatorPrincipals has ${p}: give IAM role or user ARNs (arn:aws:iam::<account>:role/<name>) or ` +
          "12-digit account ids, comma-separated.",
      );
  return {
    stackPrefix: text("stackPrefix") ?? d.stackPrefix,
    healthCheckSchedule: text("healthCheckSchedule") ?? d.healthCheckSchedule,
    cleanupSchedule: text("cleanupSchedule") ?? d.cleanupSchedule,
    scheduleTimeZone: text("scheduleTimeZone") ?? d.scheduleTimeZone,
    cleanupAfterDays: integer("cleanupAfterDays", d.cleanupAfterDays, 1, 3650),
    workerConcurrency: integer("workerConcurrency", d.workerConcurrency, 1, 50),
    checkDeadlineSeconds: integer("checkDeadlineSeconds", d.checkDeadlineSeconds, 5, 300),
    healthCheckMaxConcurrency: integer("healthCheckMaxConcurrency", d.healthCheckMaxConcurrency, 2, 1000),
    logLevel,
    logRetentionDays: integer("logRetentionDays", d.logRetentionDays, 1, 3653),
    webhookRateLimit: integer("webhookRateLimit", d.webhookRateLimit, 1, 10_000),
    webhookBurstLimit: integer("webhookBurstLimit", d.webhookBurstLimit, 1, 5_000),
    loginRateLimit: integer("loginRateLimit", d.loginRateLimit, 1, 100),
    loginBurstLimit: integer("loginBurstLimit", d.loginBurstLimit, 1, 200),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(operatorPrincipals?.length ? { operatorPrincipals } : {}),
    ...(webhookPathVersion ? { webhookPathVersion } : {}),
    ...(edgeRateLimit !== undefined ? { edgeRateLimit } : {}),
  };
}

const OPERATOR_PRINCIPAL = /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|(role|user)\/[\w+=,.@/-]+))$/;

/** A list setting: a JSON array from cdk.json, or a comma-separated string from `-c key=a,b`. */
function list(node: Node, key: keyof DeploymentSettings): string[] | undefined {
  const v: unknown = node.tryGetContext(key);
  if (v === undefined || v === null || v === "") return undefined;
  const items = Array.isArray(v) ? v : typeof v === "string" ? v.split(",") : undefined;
  if (!items || items.some((i) => typeof i !== "string"))
    throw new SettingsError(`Context ${key} must be a list of strings, or one comma-separated string.`);
  return (items as string[]).map((i) => i.trim()).filter((i) => i !== "");
}

export interface ResolvedEnvironment {
  readonly account: string;
  readonly region: string;
  /** True when no account was given and synthesis used `OFFLINE_ACCOUNT`. */
  readonly offline: boolean;
}

/**
 * The account and region both stacks are pinned to (a customer-managed key on a table needs a concrete region).
 * Context `account`/`region` win, then `CDK_DEPLOY_ACCOUNT`/`CDK_DEPLOY_REGION`, then what the CDK CLI found in the
 * operator's credentials (`CDK_DEFAULT_*`), then the offline defaults. A template synthesized for
 * `OFFLINE_ACCOUNT` cannot be deployed: CloudFormation refuses an account that is not the caller's.
 */
export function resolveEnvironment(
  node: Node,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedEnvironment {
  const ctx = (key: string): string | undefined => {
    const v: unknown = node.tryGetContext(key);
    return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
  };
  const account = ctx("account") ?? env.CDK_DEPLOY_ACCOUNT ?? env.CDK_DEFAULT_ACCOUNT;
  const region = ctx("region") ?? env.CDK_DEPLOY_REGION ?? env.CDK_DEFAULT_REGION ?? DEFAULT_REGION;
  if (account !== undefined && !/^\d{12}$/.test(account))
    throw new SettingsError(`Account ${account} is not a 12-digit AWS account id.`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new SettingsError(`Region ${region} is not an AWS region.`);
  return { account: account ?? OFFLINE_ACCOUNT, region, offline: account === undefined };
}
