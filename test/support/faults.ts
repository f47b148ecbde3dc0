/**
 * DynamoDB faults on demand: a second DynamoDB client on the same DynamoDB Local tables as a `TestStore`, with an
 * SDK middleware that counts every write (PutItem, UpdateItem, DeleteItem, TransactWriteItems, BatchWriteItem) and
 * fails the Nth one with the SDK's own exception classes, as DynamoDB would answer after the SDK's retries gave up.
 *
 * The code under test gets this client; the test reads back through the store's own clean client, so a check of
 * "nothing lost" is never itself faulted. The middleware sits at the `initialize` step, in front of the SDK's retry
 * middleware: the fault reaches the caller exactly as an exhausted retry would.
 */
import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient, createDynamoClient } from "../../lib/dynamo";
import { SessionRepository, type RepositoryOptions } from "../../lib/sessions";
import type { TestStore } from "./dynamo";

export type FaultKind = "throttle" | "throughput" | "condition";
export const FAULT_KINDS: readonly FaultKind[] = ["throttle", "throughput", "condition"];

const WRITES = new Set([
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "TransactWriteItemsCommand",
  "BatchWriteItemCommand",
  // The document client's names, in case its layer is the one seen.
  "PutCommand",
  "UpdateCommand",
  "DeleteCommand",
  "TransactWriteCommand",
  "BatchWriteCommand",
]);

/** One write the code under test made: its command and the key it aimed at (for the test's failure messages). */
export interface WriteSeen {
  readonly n: number;
  readonly command: string;
  readonly target: string;
  /** True when the write has a condition (only then can DynamoDB answer ConditionalCheckFailedException). */
  readonly conditional: boolean;
  readonly faulted?: FaultKind;
}

export function faultError(kind: FaultKind): Error {
  const $metadata = { httpStatusCode: 400 };
  switch (kind) {
    case "throttle":
      return new ThrottlingException({
        message: "Rate of requests exceeds the allowed throughput.",
        $metadata,
      });
    case "throughput":
      return new ProvisionedThroughputExceededException({
        message: "The level of configured provisioned throughput for the table was exceeded.",
        $metadata,
      });
    case "condition":
      return new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata });
  }
}

export interface FaultyStore {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** Every write so far, faulted or not. */
  readonly writes: WriteSeen[];
  /** Faults actually thrown. */
  faultsInjected: number;
  /**
   * Fails the `n`th write from now (1 = the next one) with `kind`. A conditional-check failure is only realistic on
   * a write that has a condition; `faultsFor` plans accordingly. Called again, it plans another fault as well.
   * With `afterLanding`, the write is done and only its answer is lost (a timeout after DynamoDB applied it).
   */
  failWrite(n: number, kind: FaultKind, options?: { readonly afterLanding?: boolean }): void;
  /** Forgets the counted writes and any fault not yet thrown. */
  reset(): void;
  sessions(options?: RepositoryOptions): SessionRepository;
  destroy(): void;
}

function targetOf(input: Record<string, unknown>): string {
  const key = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
  if (key) {
    return Object.values(key)
      .slice(0, 2)
      .map((v) => String(typeof v === "object" && v !== null ? Object.values(v)[0] : v))
      .join("/");
  }
  if (input.TransactItems) return `transaction of ${(input.TransactItems as unknown[]).length}`;
  return String(input.TableName ?? "");
}

/** Counts and faults the writes of any DynamoDB client: the code under test's own (a handler's `configureDynamo`). */
export type FaultyClient = Omit<FaultyStore, "client" | "doc" | "sessions" | "destroy">;

export function addFaults(client: DynamoDBClient): FaultyClient {
  let planned: { at: number; kind: FaultKind; afterLanding?: boolean }[] = [];
  const self: FaultyClient = {
    writes: [],
    faultsInjected: 0,
    failWrite(n, kind, options = {}) {
      planned.push({
        at: self.writes.length + n,
        kind,
        ...(options.afterLanding ? { afterLanding: true } : {}),
      });
    },
    reset() {
      self.writes.length = 0;
      planned = [];
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      if (!WRITES.has(command)) return next(args);
      const n = self.writes.length + 1;
      const input = args.input as Record<string, unknown>;
      const target = targetOf(input);
      const conditional =
        input.ConditionExpression !== undefined ||
        ((input.TransactItems as Record<string, { ConditionExpression?: string }>[] | undefined) ?? []).some(
          (item) => Object.values(item).some((op) => op.ConditionExpression !== undefined),
        );
      const fault = planned.find((p) => p.at === n);
      if (fault) {
        const kind = fault.kind;
        planned = planned.filter((p) => p !== fault);
        self.writes.push({ n, command, target, conditional, faulted: kind });
        self.faultsInjected++;
        if (fault.afterLanding) await next(args);
        throw faultError(kind);
      }
      self.writes.push({ n, command, target, conditional });
      return next(args);
    },
    { step: "initialize", name: "reliabilityFaults", priority: "high" },
  );
  return self;
}

export function faultyStore(store: TestStore): FaultyStore {
  const client = createDynamoClient({ endpoint: store.endpoint, region: "local" });
  const doc = createDocumentClient(client);
  const faults = addFaults(client);
  // The same object: counts and plans live on it, so `faulty.faultsInjected` reads what the middleware wrote.
  return Object.assign(faults, {
    client,
    doc,
    sessions: (options?: RepositoryOptions) =>
      new SessionRepository(doc, store.sessionsTable, store.cipher, options),
    destroy: () => client.destroy(),
  });
}

/** The faults worth injecting at a write: throttling anywhere, a conditional-check failure only where one can occur. */
export function faultsFor(write: WriteSeen): FaultKind[] {
  return write.conditional ? ["throttle", "condition"] : ["throttle"];
}
