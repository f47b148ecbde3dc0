/**
 * Lambda entry point: the AdminBot webhook (API Gateway HTTP API, payload 2.0, POST with Telegram's secret header).
 *
 * Environment: SESSIONS_TABLE, BOT_STATE_TABLE, KMS_KEY_ID (see lib/config.ts); APP_SECRET_ARN and
 * WEBHOOK_SECRET_ARN in AWS, or BOT_TOKEN and WEBHOOK_SECRET locally (lib/secrets.ts); API_ID/API_HASH are read only
 * when a login step or a check runs. MINI_APP_URL (optional, set by the stack) is the https address of the Mini App
 * login form that this same handler serves at GET /login (POST /login/* for its steps; lib/miniapp); every other
 * path is the webhook. TELEGRAM_API_ROOT (optional) points the Bot API client at a local Bot API
 * server or a stand-in (the benchmark's); unset, it is Telegram's https://api.telegram.org. Everything is built once
 * per container, on the first request, by lib/wiring.ts; a failed build is retried by the next request. The userbot
 * layer (GramJS) is imported only when a login step or a check runs.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Api } from "grammy";
import type { Update } from "grammy/types";
import { createWebhookHandler, type UserbotLoader, type WebhookHandler } from "../lib/bot";
import { buildAdminBot, lazyBotApi } from "../lib/bot/build";
import { AdminMemory } from "../lib/bot/features/access";
import { loadMiniAppUrl, type Env } from "../lib/config";
import { createLogger } from "../lib/log";
import { createMiniAppHandler, isMiniAppRequest } from "../lib/miniapp/handler";
import type { CreateClient } from "../lib/telegram/client";
import { createDependencies, importTelegram } from "../lib/wiring";

export interface AdminBotOptions {
  readonly env?: Env;
  /** Replaces the userbot layer (tests). */
  readonly userbots?: UserbotLoader;
  /** The GramJS client factory of the real userbot layer (tests replace Telegram's network under GramJS here). */
  readonly createClient?: CreateClient;
  /** Applied to every Bot API client the handler makes (tests replace Telegram's HTTP API here). */
  readonly configureApi?: (api: Api) => void;
  readonly now?: () => Date;
  /** Sees the DynamoDB client before use (tests count what each update reads). */
  readonly configureDynamo?: (client: DynamoDBClient) => void;
}

export function createHandler(options: AdminBotOptions = {}): WebhookHandler {
  let ready: Promise<WebhookHandler> | undefined;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    ready ??= build(options).catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return (await ready)(event);
  };
}

async function build(options: AdminBotOptions): Promise<WebhookHandler> {
  const env = options.env ?? process.env;
  const deps = createDependencies({
    env,
    logger: createLogger({ service: "admin-bot" }),
    telegram: importTelegram,
    ...(options.now ? { now: options.now } : {}),
    ...(options.configureDynamo ? { configureDynamo: options.configureDynamo } : {}),
    ...(options.createClient ? { createClient: options.createClient } : {}),
  });
  const secret = await deps.secrets.webhookSecret();
  const miniAppUrl = loadMiniAppUrl(env);
  const apiOptions = {
    ...(env.TELEGRAM_API_ROOT ? { apiRoot: env.TELEGRAM_API_ROOT } : {}),
    ...(options.configureApi ? { configureApi: options.configureApi } : {}),
  };
  // The userbot layer (GramJS) is loaded on first use: a button press that needs no userbot never pays for it.
  const userbots: UserbotLoader = options.userbots ?? deps.userbots;

  // Built on the first call that carries the right secret: a forged call reads no token and writes nothing. The
  // first update's sender is read alongside the bot's info (one round trip, not two after each other) and handed to
  // access through the container's admin memory as just read: that update claims as after any read of the admin.
  const admins = new AdminMemory();
  const buildBot = async (first: Update) => {
    const from = first.message?.from ?? first.callback_query?.from;
    const sender = from && !from.is_bot ? deps.admins.get(String(from.id)).catch(() => undefined) : undefined;
    const bot = await buildAdminBot(
      { ...deps, userbots, ...(miniAppUrl ? { miniAppUrl } : {}) },
      { ...apiOptions, admins },
    );
    const admin = await sender;
    if (admin) admins.rememberJustRead(admin);
    return bot;
  };
  const webhook = createWebhookHandler({
    bot: buildBot,
    secret,
    // After a rotation the warm container's cached secret is stale: the webhook reads it again (rate-limited).
    refreshSecret: () => deps.secrets.webhookSecret({ fresh: true }),
    logger: deps.logger,
    ...(options.now ? { now: () => deps.now().getTime() } : {}),
  });

  const miniApp = createMiniAppHandler({
    botToken: () => deps.secrets.botToken(),
    api: lazyBotApi(deps.secrets, apiOptions),
    admins: deps.admins,
    memory: deps.memory,
    userbots,
    runs: deps.runs,
    sessions: deps.sessions,
    logger: deps.logger,
    now: deps.now,
  });
  return (event) => (isMiniAppRequest(event) ? miniApp(event) : webhook(event));
}

export const handler = createHandler();
