/** Creates the tables of `lib/tables.ts` (for DynamoDB Local: tests and `npm run dev`). Existing tables are kept. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { TableDefinition } from "../../lib/tables";

export async function createTable(
  client: DynamoDBClient,
  def: TableDefinition,
  tableName: string,
): Promise<void> {
  const attributes = new Map<string, "S" | "N">();
  for (const key of [
    def.partitionKey,
    def.sortKey,
    ...def.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ]) {
    if (key) attributes.set(key.name, key.type);
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: [
          { AttributeName: def.partitionKey.name, KeyType: "HASH" },
          ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: "RANGE" as const }] : []),
        ],
        ...(def.globalSecondaryIndexes.length
          ? {
              GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((i) => ({
                IndexName: i.indexName,
                KeySchema: [
                  { AttributeName: i.partitionKey.name, KeyType: "HASH" as const },
                  { AttributeName: i.sortKey.name, KeyType: "RANGE" as const },
                ],
                Projection: { ProjectionType: "ALL" as const },
              })),
            }
          : {}),
      }),
    );
  } catch (err) {
    if (err instanceof ResourceInUseException) return;
    throw err;
  }
  if (def.timeToLiveAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
  await client.send(new DescribeTableCommand({ TableName: tableName }));
}
