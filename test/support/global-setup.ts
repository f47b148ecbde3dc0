/**
 * Starts one DynamoDB Local for the whole test run and stops its JVM by pid afterwards. A JVM left by a crashed
 * run is killed first (its pid is kept in .data/test-dynamodb.pid).
 */
import type { TestProject } from "vitest/node" with { "resolution-mode": "import" };
import { startDynamoDbLocal, type LocalDynamo } from "../../infra/local/dynamodb-local";

let dynamo: LocalDynamo | undefined;

declare module "vitest" {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

export async function setup(project: TestProject): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  dynamo = await startDynamoDbLocal({ pidFile: ".data/test-dynamodb.pid" });
  project.provide("dynamoEndpoint", dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}
