/**
 * DynamoDB Local for the benchmark: one JVM for the whole run (started on a free loopback port, stopped by its pid),
 * tables built from lib/tables.ts with a fresh prefix per figure, and the environment that points the real entry
 * points at them.
 */
import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { EnvelopeCipher } from "../../lib/crypto";
import type { RepositoryOptions, SessionRepository } from "../../lib/sessions";
import { createLocalStore } from "../../test/support/local-store";
import { pool } from "./stats";

export interface BenchStore {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly sessionsTable: string;
  readonly botStateTable: string;
  readonly cipher: EnvelopeCipher;
  /** Points the real entry points (and the bundles in child processes) at these tables. */
  readonly env: Record<string, string>;
  sessions(options?: RepositoryOptions): SessionRepository;
  /** Writes items to a table with BatchWriteItem, 25 per call, `concurrency` calls in flight. */
  batchPut(table: string, items: readonly Record<string, unknown>[], concurrency?: number): Promise<void>;
}

export async function createBenchStore(endpoint: string, name: string): Promise<BenchStore> {
  const store = await createLocalStore(endpoint, `bench-${name}-${randomBytes(3).toString("hex")}`);
  const { doc } = store;
  return {
    ...store,
    async batchPut(table, items, concurrency = 8) {
      const chunks: Record<string, unknown>[][] = [];
      for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
      await pool(chunks, concurrency, async (chunk) => {
        let pending: Record<string, unknown>[] = chunk;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 10) throw new Error(`BatchWrite left ${pending.length} items unwritten`);
          const out = await doc.send(
            new BatchWriteCommand({
              RequestItems: { [table]: pending.map((Item) => ({ PutRequest: { Item } })) },
            }),
          );
          pending = (out.UnprocessedItems?.[table] ?? []).map(
            (r) => r.PutRequest?.Item as Record<string, unknown>,
          );
        }
      });
    },
  };
}
