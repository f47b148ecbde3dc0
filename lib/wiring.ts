/**
 * The one place that builds what the entry points work with, from the parsed configuration: the DynamoDB clients,
 * the session cipher, the secrets, the repositories of both tables, and the userbot layer over them. The AdminBot
 * webhook, the job Lambdas, the `sessions` CLI and `npm run dev` all ask `createDependencies`; none of them makes a
 * client or a repository itself, so a new repository or a changed option is wired once.
 *
 * Costly parts are built on first use. The session key: no KMS client is made and the local key file is not read
 * (or created) until a session string is sealed or opened. The secrets: read from Secrets Manager (or the
 * environment) only when a caller asks for one. The userbot layer: lib/telegram (GramJS, which parses its whole TL
 * schema when loaded) is loaded when `userbots()` is first called, so a button press that needs no userbot never
 * pays for it. Repositories are plain objects over the document client and cost nothing until they are used.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { AdminRepository } from "./bot-state/admins";
import { AuditLog } from "./bot-state/audit";
import { ChatMemory } from "./bot-state/chat-memory";
import { loadDefaultDeviceIdentity, loadStoreConfig, type Env, type StoreConfig } from "./config";
import { EnvelopeCipher, lazyKeyProvider } from "./crypto";
import { createDocumentClient, createDynamoClient } from "./dynamo";
import { CleanupLog } from "./jobs/cleanup-log";
import { HealthCheckRuns } from "./jobs/runs";
import type { Logger } from "./log";
import { createSecretSource, type SecretSource } from "./secrets";
import { SessionRepository } from "./sessions/repository";
import type * as TelegramModule from "./telegram";
import type { CreateClient } from "./telegram/client";
import type * as TestDcModule from "./telegram/test-dc";

export type TelegramLayer = typeof TelegramModule;
export type UserbotServices = TelegramModule.UserbotServices;

/** How lib/telegram is loaded on first use. */
export interface TelegramLoader {
  readonly layer: () => Promise<TelegramLayer>;
  /**
   * The loopback-DC test seam (lib/telegram/test-dc.ts), for the processes tests run the way an operator does (the
   * CLI, `npm run dev`). Left out of the Lambdas, so their bundles do not carry it.
   */
  readonly testDc?: () => Promise<typeof TestDcModule>;
}

/**
 * `import()`: what the Lambda bundles (esbuild keeps it lazy), `npm run dev` and the tests use. The CLI runs as
 * CommonJS through tsx's require hook, where `import()` of our TypeScript does not resolve; it passes a `require`.
 */
export const importTelegram: TelegramLoader = { layer: () => import("./telegram/index.js") };

export interface DependencyOptions {
  /** Where the configuration is read from (`loadStoreConfig`, the secrets, the default device identity). */
  readonly env: Env;
  readonly logger: Logger;
  /** The clock of every repository and of the userbot layer (a login flow expires when the bot's step does). */
  readonly now?: () => Date;
  /**
   * A deployed stack's missing `KMS_KEY_ID` is refused at the first seal or open instead of at once (the CLI, where
   * `sessions list` needs no key). Ignored in a Lambda, which always refuses to start without it.
   */
  readonly keyWhenUsed?: boolean;
  /** Sees the DynamoDB client before use (tests count what each update reads). */
  readonly configureDynamo?: (client: DynamoDBClient) => void;
  /**
   * How lib/telegram is loaded: `importTelegram` for an entry point that uses userbots. Left out (the dispatcher, the
   * cleanup), `userbots()` refuses, and the bundle carries no GramJS: the loader is named only where it is used.
   */
  readonly telegram?: TelegramLoader;
  /** Replaces GramJS's client factory in the userbot layer (tests put a fake network under GramJS here). */
  readonly createClient?: CreateClient;
}

export interface Dependencies {
  readonly env: Env;
  readonly config: StoreConfig;
  readonly logger: Logger;
  readonly now: () => Date;
  /** The bot token, the Telegram API id and hash, the webhook secret: each read when asked for. */
  readonly secrets: SecretSource;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** The session cipher; its key is built on first use. */
  readonly cipher: EnvelopeCipher;
  readonly sessions: SessionRepository;
  readonly admins: AdminRepository;
  readonly audit: AuditLog;
  readonly memory: ChatMemory;
  readonly runs: HealthCheckRuns;
  /** The record of each cleanup that deleted for real. */
  readonly cleanups: CleanupLog;
  /**
   * The userbot layer over this store, loaded and built on the first call; later calls get the same services. A
   * failed load is not kept: the next call tries again.
   */
  userbots(): Promise<UserbotServices>;
  /** Closes the clients (the CLI and `npm run dev` on their way out; a Lambda keeps them for the next request). */
  close(): void;
}

/**
 * The secrets alone (the bot token, the Telegram API id and hash, the webhook secret), for a caller that must read
 * them even when the store's configuration does not parse (`sessions doctor` still checks the bot token then).
 */
export function createSecrets(env: Env): SecretSource {
  return createSecretSource(env);
}

export function createDependencies(options: DependencyOptions): Dependencies {
  const { env, logger } = options;
  const now = options.now ?? (() => new Date());
  const config = loadStoreConfig(env, options.keyWhenUsed ? { keyWhenUsed: true } : {});
  const client = createDynamoClient(config);
  options.configureDynamo?.(client);
  const doc = createDocumentClient(client);
  const cipher = new EnvelopeCipher(lazyKeyProvider(config.encryption, config.region));
  const secrets = createSecrets(env);
  const sessions = new SessionRepository(doc, config.sessionsTable, cipher, { logger, now });
  const admins = new AdminRepository(doc, config.botStateTable, { logger, now });
  const audit = new AuditLog(doc, config.botStateTable, now);
  const telegram = options.telegram;

  const loadUserbots = async (): Promise<UserbotServices> => {
    if (!telegram)
      throw new Error("This entry point was built without the userbot layer (createDependencies' telegram).");
    const layer = await telegram.layer();
    const createClient =
      options.createClient ??
      (telegram.testDc
        ? (await telegram.testDc()).testDcClientFactory(env, layer.createTelegramClient)
        : undefined);
    return layer.createUserbotServices({
      sessions,
      doc,
      botStateTable: config.botStateTable,
      cipher,
      logger,
      audit,
      // Asked on each use (and cached by Powertools Parameters in AWS): a rotated API hash is picked up without a
      // deploy, and nothing that never calls Telegram needs API_ID/API_HASH set.
      credentials: () => secrets.telegramApi(),
      defaultIdentity: loadDefaultDeviceIdentity(env),
      now,
      ...(createClient ? { createClient } : {}),
    });
  };
  let userbots: Promise<UserbotServices> | undefined;

  return {
    env,
    config,
    logger,
    now,
    secrets,
    client,
    doc,
    cipher,
    sessions,
    admins,
    audit,
    memory: new ChatMemory(doc, config.botStateTable, cipher, now),
    runs: new HealthCheckRuns(doc, config.botStateTable, now),
    cleanups: new CleanupLog(doc, config.botStateTable, now),
    userbots: () =>
      (userbots ??= loadUserbots().catch((err: unknown) => {
        userbots = undefined;
        throw err;
      })),
    close: () => client.destroy(),
  };
}
