/**
 * Registers the AdminBot's webhook with Telegram, or shows Telegram's view of it.
 *
 *   npm run webhook:set                               setWebhook with the deployed URL and secret token
 *   npm run webhook:set -- --drop-pending-updates     … and forget updates Telegram queued meanwhile
 *   npm run webhook:info                              getWebhookInfo: URL, pending updates, last error
 *
 * Needs AWS credentials for the deployed account (the operator role, or the ones `npm run deploy` used) with
 * secretsmanager:GetSecretValue on the app, webhook and webhook path secrets, and the stack outputs: `npm run deploy`
 * writes them to cdk-outputs.json. Without that file, set WEBHOOK_URL, APP_SECRET_ARN, WEBHOOK_SECRET_ARN and
 * WEBHOOK_PATH_SECRET_ARN.
 *
 * The webhook's URL ends in the path secret (`…/webhook/<secret>`): it is sent to Telegram, and never printed whole.
 *
 * A script rather than a custom resource: registering needs the bot token, which the operator puts into Secrets
 * Manager after the first deploy; a deploy-time resource would fail on a fresh account, and would hand a
 * Lambda the token only to call Telegram once. Running this again is harmless (setWebhook is idempotent).
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { OUTPUTS_FILE, readStackOutputs } from "../lib/deployment";
import { PROJECT_ROOT } from "./bundling";
import { maskWebhookUrl, WEBHOOK_ROUTE } from "./webhook-path";

/** The updates the AdminBot handles; Telegram sends nothing else. */
export const ALLOWED_UPDATES = ["message", "callback_query"] as const;
/** Parallel connections Telegram may open; below the stage's throttling burst, so Telegram is never throttled. */
export const MAX_CONNECTIONS = 20;
export { OUTPUTS_FILE };

export class WebhookSetupError extends Error {}

export interface Deployment {
  /** The webhook's URL without its secret last segment (stack output WebhookUrl, `…/webhook`). */
  readonly webhookUrl: string;
  readonly appSecretArn: string;
  readonly webhookSecretArn: string;
  readonly webhookPathSecretArn: string;
  readonly region: string;
  /** The Mini App login page (stack output MiniAppUrl), when the outputs have it: shown, never registered. */
  readonly miniAppUrl?: string;
}

export interface Dependencies {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Returns the file's text, or undefined when it does not exist. */
  readonly readFile: (file: string) => string | undefined;
  readonly getSecret: (arn: string, region: string) => Promise<string>;
  readonly fetch: (
    url: string,
    init: { method: string; headers: Record<string, string>; body: string },
  ) => Promise<{
    json(): Promise<unknown>;
  }>;
  readonly log: (line: string) => void;
}

/** Where the deployment is: environment variables first, then the outputs `npm run deploy` wrote. */
export function findDeployment(deps: Pick<Dependencies, "env" | "readFile">): Deployment {
  const { env } = deps;
  let read;
  try {
    read = readStackOutputs(env, deps.readFile, path.join(PROJECT_ROOT, OUTPUTS_FILE));
  } catch (err) {
    throw new WebhookSetupError((err as Error).message);
  }
  const { outputs, file } = read;
  const webhookUrl = env.WEBHOOK_URL ?? outputs.WebhookUrl;
  const appSecretArn = env.APP_SECRET_ARN ?? outputs.AppSecretArn;
  const webhookSecretArn = env.WEBHOOK_SECRET_ARN ?? outputs.WebhookSecretArn;
  const webhookPathSecretArn = env.WEBHOOK_PATH_SECRET_ARN ?? outputs.WebhookPathSecretArn;
  const missing = [
    ["WEBHOOK_URL", webhookUrl],
    ["APP_SECRET_ARN", appSecretArn],
    ["WEBHOOK_SECRET_ARN", webhookSecretArn],
    ["WEBHOOK_PATH_SECRET_ARN", webhookPathSecretArn],
  ].filter(([, v]) => !v);
  if (!webhookUrl || !appSecretArn || !webhookSecretArn || !webhookPathSecretArn) {
    throw new WebhookSetupError(
      `Missing ${missing.map(([k]) => k).join(", ")}: ` +
        (!read.found ? `${file} does not exist. ` : `${file} lacks the stack outputs. `) +
        "Run npm run deploy (it writes the outputs there), or set these variables from the stack outputs " +
        "(WebhookUrl, AppSecretArn, WebhookSecretArn, WebhookPathSecretArn).",
    );
  }
  if (!webhookUrl.startsWith("https://") || !webhookUrl.endsWith(WEBHOOK_ROUTE))
    throw new WebhookSetupError(`WEBHOOK_URL ${webhookUrl} must be https://…${WEBHOOK_ROUTE}.`);
  const region = env.AWS_REGION ?? appSecretArn.split(":")[3];
  if (!region) throw new WebhookSetupError(`APP_SECRET_ARN ${appSecretArn} is not a Secrets Manager ARN.`);
  const miniAppUrl = env.MINI_APP_URL ?? outputs.MiniAppUrl;
  return {
    webhookUrl,
    appSecretArn,
    webhookSecretArn,
    webhookPathSecretArn,
    region,
    ...(miniAppUrl ? { miniAppUrl } : {}),
  };
}

/** The full webhook URL, `<WebhookUrl>/<path secret>`, checked to be what the deployed route can be. */
async function fullWebhookUrl(deps: Dependencies, d: Deployment): Promise<string> {
  const segment = (await deps.getSecret(d.webhookPathSecretArn, d.region)).trim();
  if (!/^[A-Za-z0-9]{16,128}$/.test(segment))
    throw new WebhookSetupError(
      `The webhook path secret ${d.webhookPathSecretArn} does not hold 16-128 letters and digits. Put a new value ` +
        "and redeploy as README: Rotating the secrets says, then run this again.",
    );
  return `${d.webhookUrl}/${segment}`;
}

async function readBotToken(deps: Dependencies, d: Deployment): Promise<string> {
  const raw = await deps.getSecret(d.appSecretArn, d.region);
  let token: unknown;
  try {
    token = (JSON.parse(raw) as { BOT_TOKEN?: unknown }).BOT_TOKEN;
  } catch {
    token = undefined;
  }
  if (typeof token !== "string" || !/^\d{5,16}:[A-Za-z0-9_-]{30,}$/.test(token)) {
    throw new WebhookSetupError(
      `The app secret has no valid BOT_TOKEN yet. Put it (token from @BotFather, API id/hash from my.telegram.org):\n` +
        `  aws secretsmanager put-secret-value --region ${d.region} --secret-id ${d.appSecretArn} \\\n` +
        `    --secret-string '{"BOT_TOKEN":"…","API_ID":"…","API_HASH":"…"}'`,
    );
  }
  return token;
}

interface TelegramAnswer {
  ok: boolean;
  description?: string;
  result?: unknown;
}

async function callTelegram(
  deps: Dependencies,
  token: string,
  method: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  const root = (deps.env.TELEGRAM_API_ROOT ?? "https://api.telegram.org").replace(/\/$/, "");
  let answer: TelegramAnswer;
  try {
    const response = await deps.fetch(`${root}/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    answer = (await response.json()) as TelegramAnswer;
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split(token).join("<token>");
    throw new WebhookSetupError(`Could not reach Telegram at ${root} (${reason}).`);
  }
  if (!answer.ok)
    throw new WebhookSetupError(`Telegram refused ${method}: ${answer.description ?? "no reason given"}.`);
  return answer.result;
}

export async function setWebhook(
  deps: Dependencies,
  options: { dropPendingUpdates: boolean },
): Promise<void> {
  const d = findDeployment(deps);
  const token = await readBotToken(deps, d);
  const secretToken = await deps.getSecret(d.webhookSecretArn, d.region);
  const url = await fullWebhookUrl(deps, d);
  await callTelegram(deps, token, "setWebhook", {
    url,
    secret_token: secretToken,
    allowed_updates: ALLOWED_UPDATES,
    max_connections: MAX_CONNECTIONS,
    drop_pending_updates: options.dropPendingUpdates,
  });
  deps.log(
    `Webhook set: Telegram now posts ${ALLOWED_UPDATES.join(" and ")} updates to ${maskWebhookUrl(url)} ` +
      "(the path ends in the webhook path secret, shortened here).",
  );
  if (d.miniAppUrl) deps.log(`Mini App login page (the AdminBot's web_app button): ${d.miniAppUrl}`);
  deps.log("Check it with: npm run webhook:info");
}

export async function showWebhookInfo(deps: Dependencies): Promise<void> {
  const d = findDeployment(deps);
  const token = await readBotToken(deps, d);
  const url = await fullWebhookUrl(deps, d);
  const info = (await callTelegram(deps, token, "getWebhookInfo", {})) as Record<string, unknown>;
  const lastError =
    typeof info.last_error_date === "number"
      ? `${new Date(info.last_error_date * 1000).toISOString()} ${String(info.last_error_message ?? "")}`
      : "none";
  deps.log(`url:                  ${info.url ? maskWebhookUrl(String(info.url)) : "(not set)"}`);
  deps.log(`pending updates:      ${String(info.pending_update_count ?? 0)}`);
  deps.log(`last error:           ${lastError}`);
  deps.log(
    `allowed updates:      ${Array.isArray(info.allowed_updates) ? info.allowed_updates.join(", ") : "all"}`,
  );
  deps.log(`max connections:      ${String(info.max_connections ?? "-")}`);
  if (info.url !== url)
    deps.log(`Not the deployed webhook (${maskWebhookUrl(url)}): run npm run webhook:set.`);
}

/** Turns AWS SDK failures into what the operator should do. */
export function explainAwsError(err: unknown, arn: string): Error {
  const name = err instanceof Error ? err.name : "";
  if (name === "CredentialsProviderError" || /credential/i.test(err instanceof Error ? err.message : ""))
    return new WebhookSetupError(
      "No AWS credentials found. Sign in to the account the stacks are deployed in (aws configure, aws sso login, " +
        "or AWS_PROFILE=…) and run this again.",
    );
  if (name === "AccessDeniedException")
    return new WebhookSetupError(
      `Your AWS identity may not read ${arn}: it needs secretsmanager:GetSecretValue.`,
    );
  if (name === "ResourceNotFoundException")
    return new WebhookSetupError(
      `Secret ${arn} not found: is the stack deployed in this account and region?`,
    );
  return err instanceof Error ? err : new Error(String(err));
}

function realDependencies(): Dependencies {
  const clients = new Map<string, SecretsManagerClient>();
  return {
    env: process.env,
    readFile: (file) => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return undefined;
      }
    },
    getSecret: async (arn, region) => {
      const client = clients.get(region) ?? new SecretsManagerClient({ region });
      clients.set(region, client);
      try {
        const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
        return out.SecretString ?? "";
      } catch (err) {
        throw explainAwsError(err, arn);
      }
    },
    fetch: (url, init) => fetch(url, init),
    log: (line) => console.log(line),
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, ...flags] = argv;
  const deps = realDependencies();
  if (command === "set")
    await setWebhook(deps, { dropPendingUpdates: flags.includes("--drop-pending-updates") });
  else if (command === "info") await showWebhookInfo(deps);
  else throw new WebhookSetupError("Usage: tsx infra/webhook.ts set [--drop-pending-updates] | info");
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
