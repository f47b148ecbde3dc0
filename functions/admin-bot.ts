/**
 * Lambda entry point: the AdminBot webhook (API Gateway HTTP API, payload 2.0, POST with Telegram's secret header).
 *
 * Environment: SESSIONS_TABLE, BOT_STATE_TABLE, KMS_KEY_ID (see lib/config.ts); APP_SECRET_ARN and
 * WEBHOOK_SECRET_ARN in AWS, or BOT_TOKEN and WEBHOOK_SECRET locally (lib/secrets.ts); API_ID/API_HASH are read only
 * when a login step or a check runs. MINI_APP_URL (optional, set by the stack) is the https address of the Mini App
 * login form that this same handler serves at GET /login (POST /login/* for its steps; lib/miniapp); every other
 * path is the webhook. TELEGRAM_API_ROOT (optional) points the Bot API client at a local Bot API
 * server or a stand-in (the benchmark's); unset, it is Telegram's https://api.telegram.org. Everything is built once
 * per container, on the first request; a failed build is retried by the next request. The userbot layer (GramJS) is imported only when a login step or a check runs.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { Api } from "grammy";
import {
  createBot,
  createWebhookHandler,
  ChatMemory,
  type UserbotLoader,
  type WebhookHandler,
} from "../lib/bot";
import { loadBotInfo } from "../lib/bot/bot-info";
import { loadDefaultDeviceIdentity, loadMiniAppUrl, loadStoreConfig, type Env } from "../lib/config";
import { createCipher } from "../lib/crypto";
import { createDocumentClient, createDynamoClient } from "../lib/dynamo";
import { createLogger } from "../lib/log";
import { createMiniAppHandler, isMiniAppRequest } from "../lib/miniapp/handler";
import { createSecretSource } from "../lib/secrets";
import { SessionRepository } from "../lib/sessions";
import { AdminRepository } from "../lib/bot-state/admins";
import { AuditLog } from "../lib/bot-state/audit";
import type { CreateClient } from "../lib/telegram/client";
import type { UserbotDeps } from "../lib/telegram/deps";

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
  const logger = createLogger({ service: "admin-bot" });
  const store = loadStoreConfig(env);
  const client = createDynamoClient(store);
  options.configureDynamo?.(client);
  const doc = createDocumentClient(client);
  const cipher = createCipher(store.encryption, store.region);
  const secrets = createSecretSource(env);
  const now = options.now;
  const sessions = new SessionRepository(doc, store.sessionsTable, cipher, {
    logger,
    ...(now ? { now } : {}),
  });
  const admins = new AdminRepository(doc, store.botStateTable, { logger, ...(now ? { now } : {}) });
  const audit = new AuditLog(doc, store.botStateTable, now);
  const memory = new ChatMemory(doc, store.botStateTable, now);
  const secret = await secrets.webhookSecret();
  const miniAppUrl = loadMiniAppUrl(env);
  const apiRoot = env.TELEGRAM_API_ROOT;

  let userbotsOnce: ReturnType<UserbotLoader> | undefined;
  const userbots: UserbotLoader =
    options.userbots ??
    (() =>
      (userbotsOnce ??= loadUserbotLayer({
        sessions,
        doc,
        botStateTable: store.botStateTable,
        cipher,
        logger,
        audit,
        credentials: () => secrets.telegramApi(),
        defaultIdentity: loadDefaultDeviceIdentity(env),
        ...(options.createClient ? { createClient: options.createClient } : {}),
        // The same clock as the bot: a login flow expires when the admin's pending step does.
        ...(now ? { now } : {}),
      }).catch((err: unknown) => {
        userbotsOnce = undefined;
        throw err;
      })));

  // Built on the first call that carries the right secret: a forged call reads no token and writes nothing.
  const buildBot = async () => {
    const token = await secrets.botToken();
    const botInfo = await loadBotInfo(token, memory, options.configureApi);
    const bot = createBot(
      { token, botInfo, ...(apiRoot ? { client: { apiRoot } } : {}) },
      {
        sessions,
        admins,
        audit,
        memory,
        userbots,
        logger,
        ...(now ? { now } : {}),
        ...(miniAppUrl ? { miniAppUrl } : {}),
      },
    );
    options.configureApi?.(bot.api);
    return bot;
  };
  const webhook = createWebhookHandler({
    bot: buildBot,
    secret,
    // After a rotation the warm container's cached secret is stale: the webhook reads it again (rate-limited).
    refreshSecret: () => secrets.webhookSecret({ fresh: true }),
    logger,
    ...(now ? { now: () => now().getTime() } : {}),
  });

  let api: Api | undefined;
  const miniApp = createMiniAppHandler({
    botToken: () => secrets.botToken(),
    api: async () => {
      if (!api) {
        api = new Api(await secrets.botToken(), apiRoot ? { apiRoot } : undefined);
        options.configureApi?.(api);
      }
      return api;
    },
    admins,
    memory,
    userbots,
    logger,
    ...(now ? { now } : {}),
  });
  return (event) => (isMiniAppRequest(event) ? miniApp(event) : webhook(event));
}

/**
 * Loads lib/telegram (GramJS) on first use: a button press that needs no userbot never pays for GramJS's start-up
 * (it parses the whole TL schema when imported).
 */
async function loadUserbotLayer(deps: UserbotDeps): Promise<Awaited<ReturnType<UserbotLoader>>> {
  const telegram = await import("../lib/telegram/index.js");
  return telegram.createUserbotServices(deps);
}

export const handler = createHandler();
