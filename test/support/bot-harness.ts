/**
 * The AdminBot as Telegram reaches it: the real `functions/admin-bot.ts` handler, fed API Gateway HTTP API
 * (payload 2.0) events carrying real update JSON, on fresh DynamoDB Local tables, with the real userbot layer
 * (lib/telegram on GramJS's real client). Replaced are only Telegram's Bot API (FakeBotApi) and Telegram's MTProto
 * network under GramJS: a FakeTelegram by default, or a loopback DC over real TCP when the test gives one.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Update, User } from "grammy/types";
import type { Api } from "telegram";
import { createHandler } from "../../functions/admin-bot";
import type { Phone } from "../../lib/sessions/phone";
import { AdminRepository } from "../../lib/bot-state/admins";
import type { CreateClient } from "../../lib/telegram/client";
import { FakeBotApi, Updates } from "./bot-api";
import { apiGatewayEvent } from "./events";

export { apiGatewayEvent };
import { createTestStore, type TestStore } from "./dynamo";
import { FakeTelegram, type FakeAccount } from "./fake-telegram";
import { API_HASH, API_ID } from "./fake-telegram-harness";
import type { LoopbackDc } from "./mtproto/loopback-dc";

export const WEBHOOK_SECRET = "test_webhook_secret_0123456789";
export const BOT_TOKEN = "7000000001:AAH-test-token-0123456789abcdefghijklmn";

/** One DynamoDB request the handler made, as the test sees it on the wire. */
export interface DynamoRead {
  readonly command: string;
  readonly table?: string;
  readonly index?: string;
  readonly itemsRead: number;
}

export interface BotHarness {
  readonly store: TestStore;
  readonly api: FakeBotApi;
  /** Telegram under GramJS when the test gave no loopback DC: accounts, scripted failures, sent codes. */
  readonly telegram: FakeTelegram;
  /** Every request the userbot layer's clients sent towards Telegram, in order (the real request objects). */
  readonly telegramRequests: Api.AnyRequest[];
  /** How many GramJS clients the userbot layer built (a client is built only to talk to Telegram). */
  clientsBuilt(): number;
  /** An account at the fake Telegram with a signed-in session stored `active`, as after an earlier login. */
  seedSession(phone: Phone, account?: Partial<FakeAccount>): Promise<string>;
  readonly admins: AdminRepository;
  readonly updates: Updates;
  readonly dynamo: DynamoRead[];
  /** The test's clock; move it with `advance`. */
  now(): Date;
  advance(seconds: number): void;
  /** The handler itself: any API Gateway event (the Mini App's routes, a forged call). */
  readonly handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  /** POSTs an update as Telegram does (with the right secret unless told otherwise). */
  post(update: Update, secret?: string | null): Promise<{ statusCode?: number }>;
  /** Sends text as `from` and returns the bot's last message in that chat. */
  say(from: User, text: string, extra?: Record<string, unknown>): Promise<{ statusCode?: number }>;
  /** Presses the button labelled `label` (exact, or a prefix) on the bot's last message to `from`. */
  press(from: User, label: string | RegExp): Promise<{ statusCode?: number }>;
  /** Every item in the bot-state table (tests check what was, and was not, written). */
  botStateItems(): Promise<Record<string, unknown>[]>;
}

export interface BotHarnessOptions {
  readonly owner?: User;
  /** Telegram's MTProto side: this loopback DC (real transport) instead of a FakeTelegram. */
  readonly dc?: LoopbackDc;
  /** The API_ID in the handler's environment (default: the one Telegram accepts); null: API_ID/API_HASH unset. */
  readonly apiId?: number | null;
  /** More of the handler's environment (MINI_APP_URL…). */
  readonly env?: Readonly<Record<string, string>>;
  /** Asked before each DynamoDB request the handler makes; an error returned is thrown as DynamoDB's answer. */
  readonly dynamoFault?: (command: string) => Error | undefined;
}

export async function createBotHarness(options: BotHarnessOptions = {}): Promise<BotHarness> {
  const store = await createTestStore();
  // Starts at the real time: DynamoDB Local really deletes items whose TTL has passed (login flows live 10 min),
  // so a clock set in the past would let rows vanish in the middle of a test.
  let clock = Math.floor(Date.now() / 1000) * 1000;
  const now = () => new Date(clock);
  const api = new FakeBotApi();
  const telegram = new FakeTelegram();
  telegram.validApiId = API_ID;
  const telegramRequests: Api.AnyRequest[] = [];
  let clientsBuilt = 0;
  const network: CreateClient = options.dc?.createClient ?? telegram.createClient;
  // GramJS's client as the network seam builds it; only watched: every request it is asked to send is recorded.
  const createClient: CreateClient = (session, apiId, apiHash, params) => {
    const client = network(session, apiId, apiHash, params);
    clientsBuilt++;
    const invoke = client.invoke.bind(client);
    client.invoke = ((request: Api.AnyRequest) => {
      telegramRequests.push(request);
      return invoke(request);
    }) as typeof client.invoke;
    return client;
  };
  const admins = new AdminRepository(store.doc, store.botStateTable, { now });
  const updates = new Updates();
  const dynamo: DynamoRead[] = [];
  if (options.owner) await admins.add({ userId: String(options.owner.id), role: "owner", addedBy: "cli" });

  const apiId = options.apiId === undefined ? API_ID : options.apiId;
  const handler = createHandler({
    env: {
      ...store.env,
      BOT_TOKEN,
      WEBHOOK_SECRET,
      ...(apiId === null ? {} : { API_ID: String(apiId), API_HASH }),
      ...options.env,
    },
    createClient,
    configureApi: (a) => a.config.use(api.transformer),
    now,
    configureDynamo: (client: DynamoDBClient) => {
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const fault = options.dynamoFault?.(String(context.commandName));
          if (fault) throw fault;
          const out = await next(args);
          const input = args.input as { TableName?: string; IndexName?: string };
          const output = out.output as { Count?: number; ScannedCount?: number; Item?: unknown };
          dynamo.push({
            command: String(context.commandName),
            ...(input.TableName ? { table: input.TableName } : {}),
            ...(input.IndexName ? { index: input.IndexName } : {}),
            itemsRead: output.ScannedCount ?? output.Count ?? (output.Item ? 1 : 0),
          });
          return out;
        },
        { step: "initialize", name: "countReads" },
      );
    },
  });

  const post = (update: Update, secret: string | null = WEBHOOK_SECRET) =>
    handler(apiGatewayEvent(update, secret)) as Promise<{ statusCode?: number }>;

  return {
    store,
    api,
    telegram,
    telegramRequests,
    handler,
    clientsBuilt: () => clientsBuilt,
    seedSession: async (phone, account = {}) => {
      telegram.addAccount({ userId: 7000, firstName: "Acc", ...account, phone });
      const sessionString = await telegram.sessionFor(phone);
      await store.sessions({ now }).create({
        phone,
        sessionString,
        account: { userId: String(account.userId ?? 7000) },
      });
      return sessionString;
    },
    admins,
    updates,
    dynamo,
    now,
    advance: (seconds) => (clock += seconds * 1000),
    post,
    say: (from, text, extra) => post(updates.text(from, text, extra)),
    press: (from, label) => {
      const message = api.lastMessage(from.id);
      const button = message.buttons.find((b) =>
        typeof label === "string" ? b.text === label || b.text.startsWith(label) : label.test(b.text),
      );
      if (!button) {
        throw new Error(
          `No button ${String(label)} on the last message; it has: ${message.buttons.map((b) => b.text).join(" | ")}`,
        );
      }
      return post(updates.press(from, button.data, message.messageId));
    },
    botStateItems: async () => {
      const out = await store.doc.send(new ScanCommand({ TableName: store.botStateTable }));
      return (out.Items ?? []) as Record<string, unknown>[];
    },
  };
}
