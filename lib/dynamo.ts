/**
 * DynamoDB clients, built once per process from the store configuration. Against DynamoDB Local the credentials
 * are fixed fakes (DynamoDB Local checks their shape, not their value) so a developer machine needs no AWS setup.
 */
import {
  DynamoDBClient,
  TransactionCanceledException,
  type DynamoDBClientConfig,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { StoreConfig } from "./config";

export function createDynamoClient(config: Pick<StoreConfig, "region" | "endpoint">): DynamoDBClient {
  const options: DynamoDBClientConfig = {};
  if (config.region) options.region = config.region;
  if (config.endpoint) {
    options.endpoint = config.endpoint;
    options.credentials = { accessKeyId: "local", secretAccessKey: "local" };
    options.region = config.region ?? "local";
  }
  return new DynamoDBClient(options);
}

export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/**
 * True when a transaction was cancelled because the condition of its first item failed (DynamoDB reports a failed
 * condition inside TransactWriteItems as a cancellation, not as ConditionalCheckFailedException).
 */
export function firstConditionFailed(err: unknown): boolean {
  return (
    err instanceof TransactionCanceledException &&
    err.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed"
  );
}
