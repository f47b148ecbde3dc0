/** Telegram updates as API Gateway HTTP API (payload 2.0) events: what the webhook Lambda receives. */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { apiGatewayEvent } from "../../test/support/events";
import type { Update, UserFromGetMe } from "grammy/types";

export const BOT_TOKEN = "7000000001:AAH-bench-token-0123456789abcdefghijklmn";
export const WEBHOOK_SECRET = "bench_webhook_secret_0123456789";
export const ADMIN_ID = 424242;

export const BOT_INFO = {
  id: 7000000001,
  is_bot: true,
  first_name: "Session Keeper",
  username: "session_keeper_bench_bot",
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
} as UserFromGetMe;

const from = { id: ADMIN_ID, is_bot: false, first_name: "Admin", language_code: "en" };
const chat = { id: ADMIN_ID, type: "private" as const, first_name: "Admin" };

export function commandUpdate(updateId: number, text = "/start"): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat,
      from,
      text,
      entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }],
    },
  } as Update;
}

export function pressUpdate(updateId: number, data: string): Update {
  return {
    update_id: updateId,
    callback_query: {
      id: String(updateId),
      from,
      chat_instance: "ci",
      data,
      message: {
        message_id: 1000,
        date: Math.floor(Date.now() / 1000),
        chat,
        from: BOT_INFO,
        text: "…",
      },
    },
  } as Update;
}

export function webhookEvent(update: Update): APIGatewayProxyEventV2 {
  return apiGatewayEvent(update, WEBHOOK_SECRET);
}
