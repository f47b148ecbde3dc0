/**
 * The bot's own `getMe`, which grammY needs before it handles an update. Asked of Telegram once ever and then kept
 * in the bot-state table (BOTINFO/me), so a cold start costs one DynamoDB read instead of a call to Telegram, and
 * an unauthenticated request can never make the bot call out.
 */
import { Api } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { ChatMemory } from "../bot-state/chat-memory";

export async function loadBotInfo(
  token: string,
  memory: ChatMemory,
  configureApi?: (api: Api) => void,
  /** A local Bot API server (`TELEGRAM_API_ROOT`), asked instead of Telegram. */
  apiRoot?: string,
): Promise<UserFromGetMe> {
  const cached = await memory.getBotInfo();
  if (cached && cached.id === Number(token.split(":")[0])) return cached;
  const api = new Api(token, apiRoot ? { apiRoot } : undefined);
  configureApi?.(api);
  const me = await api.getMe();
  await memory.saveBotInfo(me);
  return me;
}
