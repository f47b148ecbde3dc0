/**
 * Per-test-file tables on the run's DynamoDB Local. Each call makes tables with a unique prefix, so test files
 * running in parallel never see each other's data. After the file, every item in them must belong to a family that
 * `lib/tables.ts` lists (test/support/item-families.ts).
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { trackStore } from "./item-families";
import { createLocalStore, type TestStore } from "./local-store";

export type { TestStore };

export async function createTestStore(): Promise<TestStore> {
  return trackStore(await createLocalStore(inject("dynamoEndpoint"), `t${randomBytes(4).toString("hex")}`));
}
