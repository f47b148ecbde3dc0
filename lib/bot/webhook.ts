/**
 * The webhook: API Gateway HTTP API (payload 2.0) in, grammY in the middle, a status code out.
 *
 * - The secret header is compared in constant time; wrong or missing is 401 before anything is parsed or written.
 * - A body that is not an update is dropped with 200: Telegram would only re-send it forever.
 * - A failure the admin was told about was absorbed by the bot's error boundary: 200. What escapes (DynamoDB down,
 *   Telegram unreachable, the same update running elsewhere) is 503, so Telegram delivers the update again later;
 *   the processed-once claim makes that safe.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import { redactText, type Logger } from "../log";
import type { BotContext } from "./context";
import { UpdateInProgressError } from "./features/once";

export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

export type WebhookHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (!given || !expected) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  // HTTP API lower-cases header names; anything else (a test, a local shim) may not.
  return headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

function parseUpdate(event: APIGatewayProxyEventV2): Update | undefined {
  try {
    const raw = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : event.body;
    const update: unknown = JSON.parse(raw ?? "");
    if (typeof update === "object" && update !== null && Number.isInteger((update as Update).update_id)) {
      return update as Update;
    }
  } catch {
    // fall through
  }
  return undefined;
}

export function createWebhookHandler(options: {
  /** The bot, or how to build it: built on the first authenticated call, so a forged call never causes work. */
  bot: Bot<BotContext> | (() => Promise<Bot<BotContext>>);
  secret: string;
  logger: Logger;
}): WebhookHandler {
  const { secret, logger } = options;
  let botReady: Promise<Bot<BotContext>> | undefined;
  const getBot = () => {
    const source = options.bot;
    if (typeof source !== "function") return Promise.resolve(source);
    botReady ??= source().catch((err: unknown) => {
      botReady = undefined;
      throw err;
    });
    return botReady;
  };
  if (!secret) throw new Error("The webhook secret is empty: refusing to accept unauthenticated updates.");
  return async (event) => {
    if (!secretMatches(header(event, SECRET_HEADER), secret)) {
      logger.warn("Webhook call refused: wrong or missing secret header", {
        sourceIp: event.requestContext?.http?.sourceIp,
      });
      return { statusCode: 401 };
    }
    const update = parseUpdate(event);
    if (!update) {
      logger.error("Webhook body is not a Telegram update; dropped");
      return { statusCode: 200 };
    }
    const started = Date.now();
    const bot = await getBot();
    try {
      await bot.handleUpdate(update);
      logger.debug("Update handled", { updateId: update.update_id, ms: Date.now() - started });
      return { statusCode: 200 };
    } catch (err) {
      const error = err instanceof Error && "error" in err ? (err as { error: unknown }).error : err;
      if (error instanceof UpdateInProgressError) {
        logger.info("Update already in progress elsewhere; Telegram will retry", {
          updateId: update.update_id,
        });
      } else {
        logger.error("Update failed and nobody was told; Telegram will retry", {
          updateId: update.update_id,
          error: redactText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
        });
      }
      return { statusCode: 503 };
    }
  };
}
