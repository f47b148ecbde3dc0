/** The bot's context type and the dependencies every feature receives. */
import type { Context } from "grammy";
import type { Logger } from "../log";
import type { SessionRepository } from "../sessions/repository";
import type { Admin, AdminRepository, Language } from "../bot-state/admins";
import type { AuditLog } from "../bot-state/audit";
import type { LoginService, QrLoginService, UserbotService } from "../telegram/contract";
import type { Texts } from "./locales";
import type { ChatMemory } from "../bot-state/chat-memory";
import type { HealthCheckRuns } from "../jobs/runs";

/** The userbot layer, loaded on first use: it imports GramJS, which ordinary button presses must not pay for. */
export type UserbotLoader = () => Promise<{
  login: LoginService;
  qr: QrLoginService;
  userbots: UserbotService;
}>;

export interface BotDeps {
  readonly sessions: SessionRepository;
  readonly admins: AdminRepository;
  readonly audit: AuditLog;
  readonly memory: ChatMemory;
  /** The health-check run records: the fleet's history for 📈 Fleet (read only). */
  readonly runs: Pick<HealthCheckRuns, "recent">;
  readonly userbots: UserbotLoader;
  readonly logger: Logger;
  readonly now?: () => Date;
  /**
   * The Mini App login form's https URL (`MINI_APP_URL`): code and password prompts carry a button that opens it.
   * Unset (local polling, no public https address): the chat keypad and typed input only.
   */
  readonly miniAppUrl?: string;
}

/** Set by the access feature before any other feature runs: only admins get this far. */
export interface AdminFlavor {
  admin: Admin;
  lang: Language;
  t: Texts;
  /**
   * The admin came from this container's memory (AdminMemory), not from the table: the processed-once claim checks
   * them in the same transaction.
   */
  adminFromMemory?: boolean;
}

export type BotContext = Context & AdminFlavor;
