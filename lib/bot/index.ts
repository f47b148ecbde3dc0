export { createBot, type BotConfig } from "./create-bot";
export type { BotContext, BotDeps, UserbotLoader } from "./context";
export { createNotifier, type Notifier, type NotificationText, type NotifyResult } from "./notifier";
export { createWebhookHandler, secretMatches, SECRET_HEADER, type WebhookHandler } from "./webhook";
export { ChatMemory } from "../bot-state/chat-memory";
export { LOCALES, languageFromCode, type Texts } from "./locales";
export { botCommands, setBotCommands } from "./commands";
export type { FailedSession } from "./locales";
