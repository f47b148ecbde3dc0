/**
 * Fresh tables on a running DynamoDB Local, named with a unique prefix, with a local key, repositories and the
 * environment that points the real entry points at them. No vitest here: the benchmark uses it too.
 */
import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createTable } from "../../infra/local/create-tables";
import { EnvelopeCipher, LocalKeyProvider } from "../../lib/crypto";
import { createDocumentClient, createDynamoClient } from "../../lib/dynamo";
import { SessionRepository, type RepositoryOptions } from "../../lib/sessions";
import { BOT_STATE_TABLE, SESSIONS_TABLE } from "../../lib/tables";

export interface TestStore {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly sessionsTable: string;
  readonly botStateTable: string;
  readonly cipher: EnvelopeCipher;
  readonly key: Buffer;
  /** Environment variables that point the real entry points (CLI, handlers) at these tables. */
  readonly env: Record<string, string>;
  sessions(options?: RepositoryOptions): SessionRepository;
}

export async function createLocalStore(endpoint: string, prefix: string): Promise<TestStore> {
  const client = createDynamoClient({ endpoint, region: "local" });
  const doc = createDocumentClient(client);
  const sessionsTable = `${prefix}-sessions`;
  const botStateTable = `${prefix}-bot-state`;
  await Promise.all([
    createTable(client, SESSIONS_TABLE, sessionsTable),
    createTable(client, BOT_STATE_TABLE, botStateTable),
  ]);
  const key = randomBytes(32);
  const cipher = new EnvelopeCipher(new LocalKeyProvider(key));
  // A new, empty table starts with its fleet counter counted (all zero), as a deployment's first read leaves it.
  await new SessionRepository(doc, sessionsTable, cipher).startFleetCounter();
  return {
    endpoint,
    client,
    doc,
    sessionsTable,
    botStateTable,
    cipher,
    key,
    env: {
      DYNAMODB_ENDPOINT: endpoint,
      SESSIONS_TABLE: sessionsTable,
      BOT_STATE_TABLE: botStateTable,
      SESSION_ENCRYPTION_KEY: key.toString("base64"),
      AWS_REGION: "local",
    },
    sessions: (options) => new SessionRepository(doc, sessionsTable, cipher, options),
  };
}
