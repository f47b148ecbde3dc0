/**
 * Telegram's Bot API, replaced at the HTTP boundary: a grammY API transformer that records every call the bot makes
 * and answers as Telegram would (messages get ids; edits, answers and deletions succeed). Nothing else of grammY is
 * replaced. Also builds the update JSON Telegram would POST: messages, commands, forwarded messages, button presses.
 */
import type { Transformer } from "grammy";
import type { InlineKeyboardMarkup, Update, User, UserFromGetMe } from "grammy/types";

export const BOT_INFO: UserFromGetMe = {
  id: 7000000001,
  is_bot: true,
  first_name: "Session Keeper",
  username: "session_keeper_test_bot",
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
} as UserFromGetMe;

export interface ApiCall {
  readonly method: string;
  readonly payload: Record<string, unknown>;
}

/** A message as the admin sees it in the chat now: its text and buttons, after any edits. */
export interface ChatMessage {
  readonly messageId: number;
  /** The text, or a photo's caption. */
  text: string;
  /** `data` is the callback data; `webApp` the URL a web_app button opens. */
  buttons: { text: string; data: string; webApp?: string }[];
  deleted: boolean;
  /** A photo message: every image it has shown (sent, then replaced by editMessageMedia), as uploaded. */
  photos?: unknown[];
}

export class FakeBotApi {
  readonly calls: ApiCall[] = [];
  /** The bot's messages per chat id, by message id. */
  readonly chats = new Map<number, Map<number, ChatMessage>>();
  private nextMessageId = 1000;
  private failures: {
    method: string;
    code: number;
    description: string;
    parameters?: { retry_after?: number };
  }[] = [];

  /** What getWebhookInfo answers, as Telegram keeps it (setWebhook sets the URL and clears the last error). */
  readonly webhook: {
    url: string;
    pending_update_count: number;
    last_error_date?: number;
    last_error_message?: string;
  } = { url: "", pending_update_count: 0 };

  readonly transformer: Transformer = async (_prev, method, payload) => {
    const p = (payload ?? {}) as Record<string, unknown>;
    this.calls.push({ method, payload: p });
    const failure = this.failures.findIndex((f) => f.method === method);
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return {
        ok: false,
        error_code: f!.code,
        description: f!.description,
        ...(f!.parameters ? { parameters: f!.parameters } : {}),
      } as never;
    }
    return { ok: true, result: this.answer(method, p) } as never;
  };

  /** The next call of `method` fails as Telegram would fail it. */
  failNext(method: string, code = 400, description = "Bad Request: something"): void {
    this.failures.push({ method, code, description });
  }

  /** The next call of `method` is refused with 429, as Telegram throttles a bot: retry after `seconds`. */
  tooManyRequestsNext(method: string, seconds: number): void {
    this.failures.push({
      method,
      code: 429,
      description: `Too Many Requests: retry after ${seconds}`,
      parameters: { retry_after: seconds },
    });
  }

  private answer(method: string, p: Record<string, unknown>): unknown {
    const chatId = Number(p.chat_id);
    switch (method) {
      case "getMe":
        return BOT_INFO;
      case "getWebhookInfo":
        return { ...this.webhook, has_custom_certificate: false };
      case "setWebhook":
        this.webhook.url = String(p.url ?? "");
        delete this.webhook.last_error_date;
        delete this.webhook.last_error_message;
        return true;
      case "sendMessage": {
        const messageId = this.nextMessageId++;
        this.chat(chatId).set(messageId, {
          messageId,
          text: String(p.text),
          buttons: buttonsOf(p.reply_markup),
          deleted: false,
        });
        return {
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: "private", first_name: "Admin" },
          from: BOT_INFO,
          text: p.text,
        };
      }
      case "editMessageText": {
        const message = this.chat(chatId).get(Number(p.message_id));
        if (message) {
          message.text = String(p.text);
          message.buttons = buttonsOf(p.reply_markup);
        }
        return {
          message_id: p.message_id,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: "private", first_name: "Admin" },
          from: BOT_INFO,
          text: p.text,
        };
      }
      case "sendPhoto": {
        const messageId = this.nextMessageId++;
        this.chat(chatId).set(messageId, {
          messageId,
          text: String(p.caption ?? ""),
          buttons: buttonsOf(p.reply_markup),
          deleted: false,
          photos: [p.photo],
        });
        return {
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: "private", first_name: "Admin" },
          from: BOT_INFO,
          photo: [
            { file_id: `photo-${messageId}`, file_unique_id: `u${messageId}`, width: 480, height: 480 },
          ],
          ...(p.caption ? { caption: p.caption } : {}),
        };
      }
      case "editMessageCaption":
      case "editMessageMedia":
      case "editMessageReplyMarkup": {
        const message = this.chat(chatId).get(Number(p.message_id));
        if (message) {
          const media = p.media as { caption?: unknown; media?: unknown } | undefined;
          if (method === "editMessageCaption") message.text = String(p.caption ?? "");
          if (method === "editMessageMedia") {
            message.text = String(media?.caption ?? "");
            message.photos?.push(media?.media);
          }
          message.buttons = buttonsOf(p.reply_markup);
        }
        return true;
      }
      case "deleteMessage": {
        const message = this.chat(chatId).get(Number(p.message_id));
        if (message) message.deleted = true;
        return true;
      }
      default:
        return true;
    }
  }

  private chat(id: number): Map<number, ChatMessage> {
    let chat = this.chats.get(id);
    if (!chat) this.chats.set(id, (chat = new Map()));
    return chat;
  }

  /** The bot's last message in a chat that is still there. */
  lastMessage(chatId: number): ChatMessage {
    const messages = [...this.chat(chatId).values()].filter((m) => !m.deleted);
    const last = messages.at(-1);
    if (!last) throw new Error(`The bot has sent nothing to ${chatId}.`);
    return last;
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Texts of toasts and alerts shown for button presses. */
  toasts(): string[] {
    return this.callsOf("answerCallbackQuery")
      .map((c) => c.payload.text)
      .filter((t): t is string => typeof t === "string");
  }

  reset(): void {
    this.calls.length = 0;
  }
}

function buttonsOf(markup: unknown): ChatMessage["buttons"] {
  const rows = (markup as InlineKeyboardMarkup | undefined)?.inline_keyboard ?? [];
  return rows.flat().map((b) => ({
    text: b.text,
    data: "callback_data" in b ? String(b.callback_data) : "",
    ...("web_app" in b && b.web_app ? { webApp: b.web_app.url } : {}),
  }));
}

/** Builds the update JSON Telegram would send, with increasing update ids. */
export class Updates {
  private updateId = 500_000;
  private messageId = 1;

  user(id: number, languageCode = "en", firstName = "Admin"): User {
    return { id, is_bot: false, first_name: firstName, language_code: languageCode };
  }

  text(from: User, text: string, extra: Record<string, unknown> = {}): Update {
    const entities = text.startsWith("/")
      ? [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }]
      : undefined;
    return {
      update_id: this.updateId++,
      message: {
        message_id: this.messageId++,
        date: Math.floor(Date.now() / 1000),
        chat: { id: from.id, type: "private", first_name: from.first_name },
        from,
        text,
        ...(entities ? { entities } : {}),
        ...extra,
      },
    } as Update;
  }

  press(from: User, data: string, messageId = 1): Update {
    return {
      update_id: this.updateId++,
      callback_query: {
        id: String(this.updateId),
        from,
        chat_instance: "ci",
        data,
        message: {
          message_id: messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: from.id, type: "private", first_name: from.first_name },
          from: BOT_INFO,
          text: "…",
        },
      },
    } as Update;
  }
}
