/** What the userbot layer needs from the rest of the system, built once per process by its entry point. */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { EnvelopeCipher } from "../crypto/envelope";
import type { Logger } from "../log";
import type { TelegramApiCredentials } from "../secrets";
import type { SessionRepository } from "../sessions/repository";
import type { AuditLog } from "../bot-state/audit";
import { createTelegramClient, type CreateClient } from "./client";

export interface UserbotDeps {
  readonly sessions: SessionRepository;
  /** The bot-state table holds login flows in progress. */
  readonly doc: DynamoDBDocumentClient;
  readonly botStateTable: string;
  /** Encrypts the half-finished login (its temporary session holds an auth key). */
  readonly cipher: EnvelopeCipher;
  /** API id and hash, asked for only when Telegram is about to be called. */
  readonly credentials: () => Promise<TelegramApiCredentials>;
  readonly logger: Logger;
  readonly audit?: AuditLog;
  /** The client factory; the default is GramJS's `new TelegramClient`. */
  readonly createClient?: CreateClient;
  readonly now?: () => Date;
  /** Transient failures in a row that mark a session `error`. Default 3. */
  readonly failureThreshold?: number;
}

export interface ResolvedDeps extends UserbotDeps {
  readonly createClient: CreateClient;
  readonly now: () => Date;
  readonly failureThreshold: number;
}

export const DEFAULT_FAILURE_THRESHOLD = 3;

export function resolveDeps(deps: UserbotDeps): ResolvedDeps {
  const failureThreshold = deps.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new Error(`failureThreshold must be a whole number of 1 or more, not ${failureThreshold}.`);
  }
  return {
    ...deps,
    createClient: deps.createClient ?? createTelegramClient,
    now: deps.now ?? (() => new Date()),
    failureThreshold,
  };
}
