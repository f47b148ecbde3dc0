/**
 * The AdminBot and its Bot API client over the dependencies lib/wiring.ts builds: what the webhook Lambda and
 * `npm run dev` (long polling, or its local webhook) both need, said once.
 */
import { Api, type Bot } from "grammy";
import type { SecretSource } from "../secrets";
import { loadBotInfo } from "./bot-info";
import type { BotContext, BotDeps } from "./context";
import { createBot } from "./create-bot";
import type { AdminMemory } from "./features/access";

export interface BotApiOptions {
  /** A local Bot API server or a stand-in (`TELEGRAM_API_ROOT`); unset, Telegram's https://api.telegram.org. */
  readonly apiRoot?: string;
  /** Applied to every Bot API client made here (tests replace Telegram's HTTP API; dev redirects to apiRoot). */
  readonly configureApi?: (api: Api) => void;
}

export interface AdminBotOptions extends BotApiOptions {
  /** How updates arrive (`createBot`'s `delivery`): `webhook`, the default, or `polling` (`npm run dev`). */
  readonly delivery?: "webhook" | "polling";
  /** The container's admins seen (`createBot`'s `admins`, webhook delivery). */
  readonly admins?: AdminMemory;
}

export interface AdminBotParts extends BotDeps {
  readonly secrets: Pick<SecretSource, "botToken">;
}

/**
 * Reads the bot token, takes the bot's own getMe from the cache in the bot-state table (Telegram is asked once
 * ever), and builds the bot. Makes no other network call.
 */
export async function buildAdminBot(
  parts: AdminBotParts,
  options: AdminBotOptions = {},
): Promise<Bot<BotContext>> {
  const { secrets, ...deps } = parts;
  const token = await secrets.botToken();
  const botInfo = await loadBotInfo(token, deps.memory, options.configureApi, options.apiRoot);
  const bot = createBot(
    {
      token,
      botInfo,
      ...(options.delivery ? { delivery: options.delivery } : {}),
      ...(options.admins ? { admins: options.admins } : {}),
      ...(options.apiRoot ? { client: { apiRoot: options.apiRoot } } : {}),
    },
    deps,
  );
  options.configureApi?.(bot.api);
  return bot;
}

/** A Bot API client made on first call (the token is read then), the same one afterwards. */
export function lazyBotApi(
  secrets: Pick<SecretSource, "botToken">,
  options: BotApiOptions = {},
): () => Promise<Api> {
  let api: Promise<Api> | undefined;
  return () =>
    (api ??= secrets.botToken().then(
      (token) => {
        const made = new Api(token, options.apiRoot ? { apiRoot: options.apiRoot } : undefined);
        options.configureApi?.(made);
        return made;
      },
      (err: unknown) => {
        api = undefined;
        throw err;
      },
    ));
}
