/**
 * What the child-process scripts of the loopback-DC tests share (child-check.ts, child-qr-poll.ts, child-client.ts):
 * their environment, the userbot layer built over the parent's DynamoDB Local as a Lambda builds it, and how they end
 * (one JSON line; a failure sets the exit code, and nothing calls process.exit(): a handle left open keeps the
 * process alive, which is what the parent watches for).
 */
import { EnvelopeCipher, LocalKeyProvider } from "../../../lib/crypto";
import { createDocumentClient, createDynamoClient } from "../../../lib/dynamo";
import { createLogger } from "../../../lib/log";
import { SessionRepository } from "../../../lib/sessions";
import { createUserbotServices, type UserbotServices } from "../../../lib/telegram";
import type { CreateClient } from "../../../lib/telegram/client";
import { API_HASH, API_ID } from "./dc-harness";

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** The userbot layer on the test store's tables (DYNAMODB_ENDPOINT, SESSIONS_TABLE, BOT_STATE_TABLE, the key). */
export function childUserbotServices(createClient: CreateClient): UserbotServices {
  const logger = createLogger({ service: "userbot-dc-child", level: "SILENT" });
  const doc = createDocumentClient(
    createDynamoClient({ endpoint: required("DYNAMODB_ENDPOINT"), region: "local" }),
  );
  const cipher = new EnvelopeCipher(
    new LocalKeyProvider(Buffer.from(required("SESSION_ENCRYPTION_KEY"), "base64")),
  );
  return createUserbotServices({
    sessions: new SessionRepository(doc, required("SESSIONS_TABLE"), cipher, { logger }),
    doc,
    botStateTable: required("BOT_STATE_TABLE"),
    cipher,
    credentials: async () => ({ apiId: API_ID, apiHash: API_HASH }),
    logger,
    createClient,
  });
}

/** Runs the script's `main`: its report is its stdout; a failure is printed and sets exit code 1. */
export function runChild(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
