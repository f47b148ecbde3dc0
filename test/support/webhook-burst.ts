/**
 * A burst of real updates through the real webhook handler (functions/admin-bot.ts, in-process) on DynamoDB Local,
 * with only the Bot API replaced: `updates` `/start`s from `admins` admins, a share of them delivered twice (at a
 * random later moment, often while the first delivery still runs), a share of DynamoDB attempts throttled (the SDK
 * retries them as it retries DynamoDB's own), and every delivery that is not answered 200 delivered again, as
 * Telegram does, until it is. Shared by the reliability suite (test/reliability/load-webhook.test.ts) and
 * `npm run bench` (loadUpdatesLost, loadUpdatesProcessedTwice).
 *
 * "Processed" is what an admin sees: each `/start` is answered by exactly one new message in that admin's chat.
 * Lost: an update whose admin got fewer answers than updates sent. Twice: more.
 */
import { ThrottlingException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Update, User } from "grammy/types";
import { createHandler } from "../../functions/admin-bot";
import { AdminRepository } from "../../lib/bot-state/admins";
import { FakeBotApi, Updates } from "./bot-api";
import { apiGatewayEvent } from "./events";
import { FakeTelegram } from "./fake-telegram";
import type { TestStore } from "./local-store";

// The harnesses' values, repeated: this module also runs in `npm run bench`, outside vitest, so it imports none of
// the modules that read vitest's state.
const BOT_TOKEN = "7000000001:AAH-test-token-0123456789abcdefghijklmn";
const WEBHOOK_SECRET = "test_webhook_secret_0123456789";
const API_ID = 123456;
const API_HASH = "0123456789abcdef0123456789abcdef";

export interface BurstOptions {
  readonly updates: number;
  readonly admins: number;
  /** Share of updates Telegram delivers a second time, 0–1. */
  readonly duplicateShare: number;
  /** Share of DynamoDB attempts answered with ThrottlingException, 0–1. */
  readonly throttleShare: number;
  /** Deliveries in flight at once (Telegram's max_connections: 40 by default). */
  readonly concurrency: number;
  /** Seed of the random choices, so a failing run can be repeated. */
  readonly seed: number;
  /** Fresh tables (the test's from createTestStore, the bench's from createLocalStore). */
  readonly store: TestStore;
}

export interface BurstResult {
  readonly updates: number;
  /** Handler calls made, first deliveries, duplicates and redeliveries after a non-200 answer. */
  readonly deliveries: number;
  readonly duplicatesDelivered: number;
  /** Deliveries answered with something else than 200, and so delivered again. */
  readonly redelivered: number;
  readonly dynamoAttempts: number;
  readonly throttled: number;
  readonly updatesLost: number;
  readonly updatesProcessedTwice: number;
  /** Answers the admins saw that were an error message rather than the menu. */
  readonly errorAnswers: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly seconds: number;
  /** Every Bot API call the bot made. */
  readonly api: FakeBotApi;
}

/** mulberry32: small, seedable, good enough to pick which deliveries repeat and which attempts throttle. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

export async function runWebhookBurst(options: BurstOptions): Promise<BurstResult> {
  const rand = random(options.seed);
  let dynamoAttempts = 0;
  let throttled = 0;
  let throttling = false;
  const users: User[] = Array.from({ length: options.admins }, (_, i) => ({
    id: 5_000_001 + i,
    is_bot: false,
    first_name: `Admin ${i + 1}`,
    language_code: ["en", "ru", "uz"][i % 3]!,
  }));
  const { store } = options;
  const api = new FakeBotApi();
  const telegram = new FakeTelegram();
  telegram.validApiId = API_ID;
  const admins = new AdminRepository(store.doc, store.botStateTable);
  for (const [i, user] of users.entries())
    await admins.add({ userId: String(user.id), role: i === 0 ? "owner" : "admin", addedBy: "cli" });
  const handler = createHandler({
    env: { ...store.env, BOT_TOKEN, WEBHOOK_SECRET, API_ID: String(API_ID), API_HASH },
    createClient: telegram.createClient,
    configureApi: (a) => a.config.use(api.transformer),
    configureDynamo: (client: DynamoDBClient) => {
      client.middlewareStack.add(
        (next) => (args) => {
          if (throttling) {
            dynamoAttempts++;
            if (rand() < options.throttleShare) {
              throttled++;
              throw new ThrottlingException({
                message: "Rate of requests exceeds the allowed throughput.",
                $metadata: { httpStatusCode: 400 },
              });
            }
          }
          return next(args);
        },
        // After the SDK's retry middleware (finalizeRequest): each attempt is one draw, and the SDK retries a
        // throttled one as it retries DynamoDB's own.
        { step: "deserialize", name: "burstThrottling" },
      );
    },
  });
  const call = async (update: Update): Promise<number | undefined> => {
    try {
      const out = (await handler(
        apiGatewayEvent(update, WEBHOOK_SECRET),
      )) as APIGatewayProxyStructuredResultV2;
      return out.statusCode;
    } catch {
      return undefined;
    }
  };

  const make = new Updates();
  const updates: Update[] = Array.from({ length: options.updates }, (_, i) =>
    make.text(users[i % users.length]!, "/start"),
  );
  // What Telegram sends: every update once, a share of them again later, in an order of its own.
  const queue: Update[] = [...updates];
  let duplicatesDelivered = 0;
  for (const update of updates)
    if (rand() < options.duplicateShare) {
      queue.splice(Math.floor(rand() * (queue.length + 1)), 0, update);
      duplicatesDelivered++;
    }
  for (let i = queue.length - 1; i > 0; i--) {
    // A light shuffle: a duplicate lands anywhere, first deliveries stay roughly in order.
    if (rand() < 0.1) {
      const j = Math.floor(rand() * (i + 1));
      [queue[i], queue[j]] = [queue[j]!, queue[i]!];
    }
  }
  const sentBefore = api.calls.length;
  const latencies: number[] = [];
  let redelivered = 0;
  let deliveries = 0;
  throttling = true;
  const started = performance.now();
  const deliver = async (update: Update): Promise<void> => {
    for (;;) {
      deliveries++;
      const t = performance.now();
      const status = await call(update);
      latencies.push(performance.now() - t);
      if (status === 200) return;
      redelivered++;
      // Telegram waits before trying again; a little here, so the other delivery can finish.
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(rand() * 80)));
    }
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < queue.length) await deliver(queue[next++]!);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  throttling = false;

  const answers = new Map<number, number>();
  let errorAnswers = 0;
  for (const sent of api.calls.slice(sentBefore)) {
    if (sent.method !== "sendMessage") continue;
    const chat = Number(sent.payload.chat_id);
    answers.set(chat, (answers.get(chat) ?? 0) + 1);
    if (String(sent.payload.text).startsWith("⚠️")) errorAnswers++;
  }
  let updatesLost = 0;
  let updatesProcessedTwice = 0;
  for (const user of users) {
    const sent = updates.filter((u) => u.message?.from?.id === user.id).length;
    const got = answers.get(user.id) ?? 0;
    if (got < sent) updatesLost += sent - got;
    if (got > sent) updatesProcessedTwice += got - sent;
  }
  return {
    updates: updates.length,
    deliveries,
    duplicatesDelivered,
    redelivered,
    dynamoAttempts,
    throttled,
    updatesLost,
    updatesProcessedTwice,
    errorAnswers,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    seconds,
    api,
  };
}
