/**
 * Per-test-file tables on the run's DynamoDB Local. Each call makes tables with a unique prefix, so test files
 * running in parallel never see each other's data.
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createLocalStore, type TestStore } from "./local-store";

export type { TestStore };

export function createTestStore(): Promise<TestStore> {
  return createLocalStore(inject("dynamoEndpoint"), `t${randomBytes(4).toString("hex")}`);
}
