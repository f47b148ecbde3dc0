/**
 * Figure 4, cleanup cost: a sessions table of N items (default 100,000) of which 1% are error sessions last updated
 * 45 days ago, seeded with BatchWriteItem (25 per call, in parallel; the items carry the key, the index attributes
 * and what the index projects for a listing). `runCleanup` runs as the weekly job does; every DynamoDB call it makes
 * is counted on the wire (items read: a Query's or Scan's ScannedCount, 1 per GetItem; consumed capacity). The
 * reference is a Scan of the same table for the same job (status = error AND updatedAt < cut-off), run for real.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { runCleanup } from "../lib/jobs/cleanup";
import { noMetrics } from "../lib/jobs/metrics";
import { createDocumentClient } from "../lib/dynamo";
import { createLogger } from "../lib/log";
import { SessionRepository } from "../lib/sessions";
import { AuditLog } from "../lib/bot-state/audit";
import { createUserbotServices } from "../lib/telegram";
import { round } from "./lib/stats";
import type { BenchStore } from "./lib/store";

export interface CleanupFigures {
  readonly tableItems: number;
  readonly oldErrors: number;
  readonly deleted: number;
  readonly seedSeconds: number;
  readonly cleanupSeconds: number;
  /** What finding the candidates read (the repository's readStats), per item deleted. */
  readonly readsPerDelete: number;
  /** Everything the job read, the fleet count at its end included, per item deleted. */
  readonly allReadsPerDelete: number;
  readonly capacityUnitsPerDelete: number;
  readonly scanItemsRead: number;
  readonly scanReadsPerDelete: number;
  readonly scanCapacityUnits: number;
  /** Writes per item deleted (the conditional delete and its audit record). */
  readonly writesPerDelete: number;
}

interface WireCount {
  itemsRead: number;
  capacityUnits: number;
  calls: Record<string, number>;
}

export async function measureCleanup(options: {
  items: number;
  store: BenchStore;
  log: (line: string) => void;
}): Promise<CleanupFigures> {
  const { store, log } = options;
  const now = Date.now();
  const day = 86_400_000;
  const oldErrors = Math.round(options.items / 100);
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < options.items; i++) {
    const phone = `+99893${String(1_000_000 + i)}`;
    const oldError = i % 100 === 0;
    const status = oldError ? "error" : i % 10 === 5 ? "paused" : i % 50 === 7 ? "error" : "active";
    const updatedAt = new Date(oldError ? now - 45 * day - i : now - (i % 20) * day).toISOString();
    items.push({
      phone,
      status,
      isPaused: status !== "active",
      createdAt: new Date(now - 90 * day).toISOString(),
      updatedAt,
      version: 3,
      consecutiveFailures: status === "error" ? 3 : 0,
      userId: String(900_000 + i),
      ...(status === "error"
        ? { lastError: "AUTH_KEY_UNREGISTERED", lastErrorCode: "AUTH_KEY_UNREGISTERED" }
        : {}),
    });
  }
  const t0 = performance.now();
  await store.batchPut(store.sessionsTable, items, 8);
  // Rows loaded behind the repository's back: the fleet counter is set from a recount, as `sessions counts --repair`
  // would (a deployed table keeps it with every write). Not measured.
  await store.sessions().recountFleet({ repair: true });
  const seedSeconds = (performance.now() - t0) / 1000;
  log(`cleanup: ${options.items} sessions seeded in ${seedSeconds.toFixed(1)} s`);

  // The reference: the same job done with a Scan (counted, not deleted).
  const cutoff = new Date(now - 30 * day).toISOString();
  let scanItemsRead = 0;
  let scanCapacityUnits = 0;
  let scanFound = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await store.doc.send(
      new ScanCommand({
        TableName: store.sessionsTable,
        FilterExpression: "#status = :error AND updatedAt < :cutoff",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":error": "error", ":cutoff": cutoff },
        Select: "COUNT",
        ReturnConsumedCapacity: "TOTAL",
        ExclusiveStartKey: start,
      }),
    );
    scanItemsRead += out.ScannedCount ?? 0;
    scanFound += out.Count ?? 0;
    scanCapacityUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  if (scanFound !== oldErrors) throw new Error(`the Scan found ${scanFound} old errors, not ${oldErrors}`);

  const wire: WireCount = { itemsRead: 0, capacityUnits: 0, calls: {} };
  const client = new DynamoDBClient({
    endpoint: store.env.DYNAMODB_ENDPOINT,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const output = out.output as {
        Count?: number;
        ScannedCount?: number;
        Item?: unknown;
        ConsumedCapacity?: { CapacityUnits?: number };
      };
      const command = String(context.commandName);
      wire.calls[command] = (wire.calls[command] ?? 0) + 1;
      if (command === "GetItemCommand") wire.itemsRead += output.Item ? 1 : 0;
      else wire.itemsRead += output.ScannedCount ?? 0;
      wire.capacityUnits += output.ConsumedCapacity?.CapacityUnits ?? 0;
      return out;
    },
    { step: "initialize", name: "benchCountReads" },
  );
  const doc = createDocumentClient(client);
  const logger = createLogger({ service: "bench-cleanup", level: "SILENT" });
  const sessions = new SessionRepository(doc, store.sessionsTable, store.cipher, { logger });
  const t1 = performance.now();
  const audit = new AuditLog(doc, store.botStateTable);
  const result = await runCleanup(
    {
      sessions,
      audit,
      // The seeded rows hold no key, so nothing is logged out (each counts as "no stored key") and Telegram is never
      // called: a client asked for would be a bug in the bench.
      userbots: createUserbotServices({
        sessions,
        doc,
        botStateTable: store.botStateTable,
        cipher: store.cipher,
        credentials: () => Promise.resolve({ apiId: 1, apiHash: "bench-no-telegram" }),
        logger,
        audit,
        createClient: () => {
          throw new Error("The cleanup bench must not call Telegram.");
        },
      }).userbots,
      logger,
      metrics: noMetrics,
      now: () => new Date(),
    },
    { olderThanDays: 30 },
  );
  const cleanupSeconds = (performance.now() - t1) / 1000;
  client.destroy();
  const deleted = result.deleted.length;
  if (deleted !== oldErrors) throw new Error(`cleanup deleted ${deleted} of ${oldErrors} old error sessions`);
  log(`cleanup: ${deleted} deleted in ${cleanupSeconds.toFixed(1)} s; calls ${JSON.stringify(wire.calls)}`);
  return {
    tableItems: options.items,
    oldErrors,
    deleted,
    seedSeconds: round(seedSeconds, 1),
    cleanupSeconds: round(cleanupSeconds, 2),
    readsPerDelete: round(sessions.readStats.itemsRead / deleted, 3),
    allReadsPerDelete: round(wire.itemsRead / deleted, 3),
    capacityUnitsPerDelete: round(sessions.readStats.capacityUnits / deleted, 3),
    scanItemsRead,
    scanReadsPerDelete: round(scanItemsRead / deleted, 1),
    scanCapacityUnits: round(scanCapacityUnits, 1),
    writesPerDelete: round(
      Object.entries(wire.calls)
        .filter(([name]) => !["QueryCommand", "ScanCommand", "GetItemCommand"].includes(name))
        .reduce((a, [, n]) => a + n, 0) / deleted,
      2,
    ),
  };
}
