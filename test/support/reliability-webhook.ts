/**
 * The AdminBot's webhook for the reliability suite: the real `functions/admin-bot.ts` handler called in-process with
 * API Gateway v2 events whose body is any string (the bot harness only posts well-formed updates), on fresh DynamoDB
 * Local tables, with only Telegram's Bot API (FakeBotApi) and the network under GramJS (FakeTelegram) replaced. Every DynamoDB
 * request the handler makes is recorded, so a test can say "this call wrote nothing".
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { User } from "grammy/types";
import { createHandler } from "../../functions/admin-bot";
import { AdminRepository } from "../../lib/bot-state/admins";
import { FakeBotApi, Updates } from "./bot-api";
import { apiGatewayEvent, BOT_TOKEN, WEBHOOK_SECRET } from "./bot-harness";
import { createTestStore, type TestStore } from "./dynamo";
import { FakeTelegram } from "./fake-telegram";
import { API_HASH, API_ID } from "./fake-telegram-harness";

export { BOT_TOKEN, WEBHOOK_SECRET };

const WRITE_COMMANDS = new Set([
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "TransactWriteItemsCommand",
  "BatchWriteItemCommand",
]);

export interface DynamoRequest {
  readonly command: string;
  readonly table: string;
  readonly key: string;
  readonly write: boolean;
}

export interface WebhookRig {
  readonly store: TestStore;
  readonly api: FakeBotApi;
  readonly telegram: FakeTelegram;
  readonly updates: Updates;
  /** Every DynamoDB request the handler made, in order. */
  readonly requests: DynamoRequest[];
  /** Calls the handler with a raw event; a throw is returned as `thrown` instead of failing the test. */
  call(event: APIGatewayProxyEventV2): Promise<{ statusCode?: number; thrown?: unknown }>;
  /** An event with `body` as it is (a string, not serialised again) and the secret header (none when null). */
  event(
    body: string | undefined,
    secret: string | null,
    extra?: Partial<APIGatewayProxyEventV2>,
  ): APIGatewayProxyEventV2;
  /** Every item in both tables, as "table pk/sk" → item JSON. */
  snapshot(): Promise<Map<string, string>>;
}

function keyOf(input: Record<string, unknown>): string {
  // A transaction: the items it writes (a ConditionCheck only reads).
  const transaction = input.TransactItems as Record<string, Record<string, unknown>>[] | undefined;
  if (transaction) {
    return transaction
      .flatMap((item) => Object.entries(item).filter(([op]) => op !== "ConditionCheck"))
      .map(([, op]) => keyOf(op))
      .join(" + ");
  }
  // The document client's plain values, or the low-level client's { S: "…" }.
  const key = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
  if (!key) return "";
  return ["pk", "sk", "phone"]
    .filter((k) => key[k] !== undefined)
    .map((k) => {
      const v = key[k];
      return String(typeof v === "object" && v !== null ? Object.values(v)[0] : v);
    })
    .join("/");
}

export async function createWebhookRig(owner: User): Promise<WebhookRig> {
  const store = await createTestStore();
  const api = new FakeBotApi();
  const telegram = new FakeTelegram();
  telegram.validApiId = API_ID;
  const admins = new AdminRepository(store.doc, store.botStateTable);
  await admins.add({ userId: String(owner.id), role: "owner", addedBy: "cli" });
  const requests: DynamoRequest[] = [];
  const handler = createHandler({
    env: { ...store.env, BOT_TOKEN, WEBHOOK_SECRET, API_ID: String(API_ID), API_HASH },
    createClient: telegram.createClient,
    configureApi: (a) => a.config.use(api.transformer),
    configureDynamo: (client: DynamoDBClient) => {
      client.middlewareStack.add(
        (next, context) => (args) => {
          const input = args.input as Record<string, unknown>;
          const command = String(context.commandName);
          requests.push({
            command,
            table: String(input.TableName ?? ""),
            key: keyOf(input),
            write: WRITE_COMMANDS.has(command),
          });
          return next(args);
        },
        { step: "initialize", name: "recordRequests" },
      );
    },
  });
  const scan = async (table: string) =>
    ((await store.doc.send(new ScanCommand({ TableName: table }))).Items ?? []).map(
      (i) => [`${table} ${String(i.pk ?? i.phone)}/${String(i.sk ?? "")}`, JSON.stringify(i)] as const,
    );
  return {
    store,
    api,
    telegram,
    updates: new Updates(),
    requests,
    async call(event) {
      try {
        const out = (await handler(event)) as APIGatewayProxyStructuredResultV2;
        return { statusCode: out.statusCode };
      } catch (err) {
        return { thrown: err };
      }
    },
    event(body, secret, extra = {}) {
      return { ...apiGatewayEvent({}, secret), body, ...extra } as APIGatewayProxyEventV2;
    },
    async snapshot() {
      return new Map([...(await scan(store.botStateTable)), ...(await scan(store.sessionsTable))]);
    },
  };
}
