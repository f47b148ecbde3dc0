/**
 * What one unit of work costs in AWS requests, counted on the real code paths (for the cost figure): DynamoDB
 * requests (and their consumed capacity, as DynamoDB Local reports it) and key-provider calls (each one a KMS
 * request in AWS) per health check through the worker handler, and DynamoDB requests per webhook update through the
 * admin bot's handler. Run in this process with counting clients; the timed figures never go through these.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { SQSEvent } from "aws-lambda";
import { createHandler } from "../functions/admin-bot";
import { createWorkerHandler } from "../functions/health-check-worker";
import { botApiNotifier } from "../lib/bot/health-summary";
import { cb } from "../lib/bot/callback-data";
import { EnvelopeCipher, LocalKeyProvider, type KeyProvider } from "../lib/crypto";
import { createDocumentClient } from "../lib/dynamo";
import { noMetrics } from "../lib/jobs/metrics";
import { HealthCheckRuns } from "../lib/jobs/runs";
import { createLogger } from "../lib/log";
import { SessionRepository, type Phone } from "../lib/sessions";
import { AdminRepository } from "../lib/bot-state/admins";
import { AuditLog } from "../lib/bot-state/audit";
import { createUserbotServices } from "../lib/telegram";
import { API_HASH, API_ID } from "../test/support/mtproto/dc-harness";
import type { LoopbackCreateClient } from "../test/support/mtproto/loopback-dc";
import { BOT_TOKEN, commandUpdate, pressUpdate, webhookEvent } from "./lib/events";
import { round } from "./lib/stats";
import type { BenchStore } from "./lib/store";

export interface RequestCount {
  reads: number;
  writes: number;
  readUnits: number;
  writeUnits: number;
  kms: number;
  /**
   * Waves of DynamoDB requests one after another: a request that starts while none is in flight begins a new wave, so
   * requests sent alongside each other (a read next to the update's claim) are one wave. The latency an update pays
   * to DynamoDB is this many round trips, whatever the number of calls.
   */
  roundTrips: number;
}

const zero = (): RequestCount => ({
  reads: 0,
  writes: 0,
  readUnits: 0,
  writeUnits: 0,
  kms: 0,
  roundTrips: 0,
});

const READS = new Set(["GetItemCommand", "QueryCommand", "ScanCommand", "BatchGetItemCommand"]);

function countingClient(endpoint: string, count: () => RequestCount): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  addCounter(client, count);
  return client;
}

/** Counts every request and its consumed capacity (asked for on every request of this counting pass). */
function addCounter(client: DynamoDBClient, count: () => RequestCount): void {
  let inFlight = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= "TOTAL";
      if (inFlight === 0) count().roundTrips += 1;
      inFlight += 1;
      const out = await next(args).finally(() => {
        inFlight -= 1;
      });
      const c = count();
      const name = String(context.commandName);
      const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as {
        CapacityUnits?: number;
      }[];
      const units = list.reduce((a, x) => a + (x.CapacityUnits ?? 0), 0);
      if (READS.has(name)) {
        c.reads += 1;
        c.readUnits += units;
      } else {
        c.writes += 1;
        c.writeUnits += units;
      }
      return out;
    },
    { step: "initialize", name: "benchCount" },
  );
}

function countingProvider(inner: KeyProvider, count: () => RequestCount): KeyProvider {
  return {
    name: inner.name,
    generateDataKey: (ctx) => {
      count().kms += 1;
      return inner.generateDataKey(ctx);
    },
    unwrapDataKey: (w, ctx) => {
      count().kms += 1;
      return inner.unwrapDataKey(w, ctx);
    },
    // Read once per process (from Secrets Manager in AWS), not per secret: not a KMS request.
    ...(inner.contextKey ? { contextKey: () => inner.contextKey!() } : {}),
  };
}

/** Per check: the worker handler over `events` (already dispatched), as built in functions/health-check-worker.ts. */
export async function countPerCheck(
  store: BenchStore,
  events: SQSEvent[],
  createClient: LoopbackCreateClient,
): Promise<RequestCount> {
  const count = zero();
  const doc = createDocumentClient(countingClient(store.env.DYNAMODB_ENDPOINT!, () => count));
  const key = Buffer.from(store.env.SESSION_ENCRYPTION_KEY!, "base64");
  const cipher = new EnvelopeCipher(countingProvider(new LocalKeyProvider(key), () => count));
  const logger = createLogger({ service: "bench-count", level: "SILENT" });
  const now = () => new Date();
  const sessions = new SessionRepository(doc, store.sessionsTable, cipher, { logger, now });
  const audit = new AuditLog(doc, store.botStateTable, now);
  const handler = createWorkerHandler(() => ({
    doc,
    cipher,
    botStateTable: store.botStateTable,
    sessions,
    audit,
    logger,
    metrics: noMetrics,
    now,
    runs: new HealthCheckRuns(doc, store.botStateTable, now),
    userbots: createUserbotServices({
      sessions,
      doc,
      botStateTable: store.botStateTable,
      cipher,
      credentials: async () => ({ apiId: API_ID, apiHash: API_HASH }),
      logger,
      audit,
      now,
      createClient,
    }).userbots,
    notify: botApiNotifier({
      botToken: async () => BOT_TOKEN,
      admins: new AdminRepository(doc, store.botStateTable),
    }),
    concurrency: 10,
    checkDeadlineMs: 20_000,
  }));
  let checks = 0;
  for (const event of events) {
    const deadline = Date.now() + 60_000;
    await handler(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
    checks += event.Records.length;
  }
  return perUnit(count, checks);
}

/** Per webhook update of each kind, through the admin bot's handler (in this process). */
export async function countPerUpdate(
  env: Record<string, string>,
  phones: readonly Phone[],
): Promise<Record<"start" | "sessionsList" | "sessionCard", RequestCount>> {
  let count = zero();
  const handler = createHandler({
    env,
    configureDynamo: (client) => addCounter(client, () => count),
  });
  let updateId = 3_000_000;
  const kinds = {
    start: () => commandUpdate(updateId++, "/start"),
    sessionsList: () => pressUpdate(updateId++, cb.list("active")),
    sessionCard: () => pressUpdate(updateId++, cb.card(phones[updateId % phones.length]!)),
  };
  // One unmeasured update: the first builds the bot (botInfo read) once per container.
  await handler(webhookEvent(kinds.start()));
  const result = {} as Record<keyof typeof kinds, RequestCount>;
  for (const [kind, make] of Object.entries(kinds) as [
    keyof typeof kinds,
    () => ReturnType<typeof commandUpdate>,
  ][]) {
    count = zero();
    for (let i = 0; i < 10; i++) {
      const r = await handler(webhookEvent(make()));
      if (r.statusCode !== 200) throw new Error(`${kind} answered ${r.statusCode}`);
    }
    result[kind] = perUnit(count, 10);
  }
  return result;
}

function perUnit(c: RequestCount, n: number): RequestCount {
  return {
    reads: round(c.reads / n, 2),
    writes: round(c.writes / n, 2),
    readUnits: round(c.readUnits / n, 2),
    writeUnits: round(c.writeUnits / n, 2),
    kms: round(c.kms / n, 2),
    roundTrips: round(c.roundTrips / n, 2),
  };
}
