/**
 * Every item a test leaves in its tables belongs to a family `lib/tables.ts` lists. After every test file
 * (check-item-families.ts, a vitest setup file) the tables the file made with `createTestStore` are scanned,
 * whatever wrote to them (the code under test, a child process, the CLI), so code that writes a key no family
 * claims fails the suite that drove it.
 */
import { ScanCommand, type ScanCommandOutput } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient, createDynamoClient } from "../../lib/dynamo";
import { BOT_STATE_ITEMS, SESSIONS_ITEMS, familyOf, type ItemFamily } from "../../lib/tables";
import type { TestStore } from "./local-store";

const REGISTRY = Symbol.for("session-keeper.test-stores");

/** The stores this test file made, kept on globalThis so the setup file and the tests share one list. */
function made(): TestStore[] {
  const g = globalThis as { [REGISTRY]?: TestStore[] };
  return (g[REGISTRY] ??= []);
}

export function trackStore(store: TestStore): TestStore {
  made().push(store);
  return store;
}

/** The partition keys in `table` that no family of `families` claims ("<table>: <key>"). */
export async function unclaimedKeys(
  endpoint: string,
  table: string,
  keyName: string,
  families: Readonly<Record<string, ItemFamily>>,
): Promise<string[]> {
  const client = createDynamoClient({ endpoint, region: "local" });
  const doc = createDocumentClient(client);
  const unclaimed = new Set<string>();
  try {
    let start: Record<string, unknown> | undefined;
    do {
      const out: ScanCommandOutput = await doc.send(
        new ScanCommand({
          TableName: table,
          ProjectionExpression: "#k",
          ExpressionAttributeNames: { "#k": keyName },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const key = String(item[keyName]);
        if (!familyOf(families, key)) unclaimed.add(`${table}: ${key}`);
      }
      start = out.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  return [...unclaimed];
}

export async function unclaimedItems(store: TestStore): Promise<string[]> {
  return [
    ...(await unclaimedKeys(store.endpoint, store.sessionsTable, "phone", SESSIONS_ITEMS)),
    ...(await unclaimedKeys(store.endpoint, store.botStateTable, "pk", BOT_STATE_ITEMS)),
  ];
}

/** The stores made so far in this test file, taken off the list. */
export function takeStores(): TestStore[] {
  return made().splice(0);
}
