/**
 * The cold-start and warm-latency reference: the smallest honest grammY webhook handler on Lambda. It checks the
 * secret header (grammY's adapter), reads one DynamoDB item (the sender's admin record) and replies; a button press
 * reads the same item and answers the press and edits the message. `botInfo` is given, so no getMe.
 *
 * Bundled by the benchmark with the admin bot's esbuild options (bench/lib/bundles.ts).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { Bot, webhookCallback } from "grammy";
import type { UserFromGetMe } from "grammy/types";

const env = process.env;
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: env.AWS_REGION ?? "local",
    ...(env.DYNAMODB_ENDPOINT
      ? { endpoint: env.DYNAMODB_ENDPOINT, credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
  }),
);
const bot = new Bot(env.BOT_TOKEN ?? "", {
  botInfo: JSON.parse(env.REFERENCE_BOT_INFO ?? "{}") as UserFromGetMe,
  ...(env.TELEGRAM_API_ROOT ? { client: { apiRoot: env.TELEGRAM_API_ROOT } } : {}),
});

async function isAdmin(userId: number | undefined): Promise<boolean> {
  const out = await doc.send(
    new GetCommand({ TableName: env.BOT_STATE_TABLE, Key: { pk: "ADMIN", sk: String(userId) } }),
  );
  return out.Item !== undefined;
}

bot.on("message", async (ctx) => {
  await ctx.reply((await isAdmin(ctx.from.id)) ? "Welcome back" : "Who are you?");
});
bot.on("callback_query:data", async (ctx) => {
  const admin = await isAdmin(ctx.from.id);
  await ctx.answerCallbackQuery();
  await ctx.editMessageText(admin ? `You pressed ${ctx.callbackQuery.data}` : "Who are you?");
});

export const handler = webhookCallback(bot, "aws-lambda-async", { secretToken: env.WEBHOOK_SECRET ?? "" });
