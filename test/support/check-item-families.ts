/**
 * Vitest setup file (every test file): after the file's tests, every item in the tables it made belongs to a family
 * `lib/tables.ts` lists (see item-families.ts).
 */
import { afterAll, expect } from "vitest";
import { takeStores, unclaimedItems } from "./item-families";

afterAll(async () => {
  const unclaimed: string[] = [];
  for (const store of takeStores()) unclaimed.push(...(await unclaimedItems(store)));
  expect(
    unclaimed,
    "items whose key no family in lib/tables.ts claims: list the family and its owner there",
  ).toEqual([]);
});
