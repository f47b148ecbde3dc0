/**
 * The webhook: API Gateway HTTP API (payload 2.0) in, grammY in the middle, a status code out.
 *
 * - The secret header is compared in constant time; wrong or missing is 401 before anything is parsed or written.
 *   On a mismatch a warm container reads the secret again, at most once per `SECRET_REREAD_SECONDS`, before
 *   answering 401: after a rotation (put a new value, `webhook:set`) Telegram's first update with the new value
 *   is accepted at once instead of refused until the cache expires or the container is recycled.
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

/** At most one re-read of the secret per this many seconds, so forged calls cannot make us hammer Secrets Manager. */
export const SECRET_REREAD_SECONDS = 30;

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
  /**
   * The bot, or how to build it: built on the first authenticated call (given that call's update, so what it will
   * read can start alongside the build), so a forged call never causes work.
   */
  bot: Bot<BotContext> | ((first: Update) => Promise<Bot<BotContext>>);
  secret: string;
  /** Reads the secret again past any cache (Secrets Manager); without it the secret never changes. */
  refreshSecret?: () => Promise<string>;
  logger: Logger;
  /** The clock for the re-read's rate limit (tests). */
  now?: () => number;
}): WebhookHandler {
  const { logger, refreshSecret } = options;
  const now = options.now ?? Date.now;
  let secret = options.secret;
  let lastReread = -Infinity;
  let rereading: Promise<void> | undefined;
  /** One re-read at a time, and none within SECRET_REREAD_SECONDS of the last; a failed read keeps the old value. */
  const reread = (): Promise<void> => {
    if (!refreshSecret) return Promise.resolve();
    if (rereading) return rereading;
    if (now() - lastReread < SECRET_REREAD_SECONDS * 1000) return Promise.resolve();
    lastReread = now();
    rereading = refreshSecret()
      .then((fresh) => {
        if (fresh !== secret)
          logger.info("Webhook secret changed in Secrets Manager; the new one is used now");
        secret = fresh;
      })
      .catch((err: unknown) => {
        logger.error("Webhook secret could not be read again; keeping the one this container has", {
          error: redactText(err instanceof Error ? err.message : String(err)),
        });
      })
      .finally(() => {
        rereading = undefined;
      });
    return rereading;
  };
  let botReady: Promise<Bot<BotContext>> | undefined;
  const getBot = (update: Update) => {
    const source = options.bot;
    if (typeof source !== "function") return Promise.resolve(source);
    botReady ??= source(update).catch((err: unknown) => {
      botReady = undefined;
      throw err;
    });
    return botReady;
  };
  if (!secret) throw new Error("The webhook secret is empty: refusing to accept unauthenticated updates.");
  const authenticated = async (given: string | undefined): Promise<boolean> => {
    if (secretMatches(given, secret)) return true;
    if (!given) return false;
    await reread();
    return secretMatches(given, secret);
  };
  return async (event) => {
    if (!(await authenticated(header(event, SECRET_HEADER)))) {
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
    const bot = await getBot(update);
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
