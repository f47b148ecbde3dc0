/**
 * One owner per item family, every key listed: `lib/tables.ts` names each family of both tables with the module that
 * writes it, and the test harness refuses items no family claims (test/support/check-item-families.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DeleteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BOT_STATE_ITEMS,
  SESSIONS_ITEMS,
  familyOf,
  itemKey,
  leadingKeyPattern,
  type ItemFamily,
} from "../../lib/tables";
import { createTestStore, type TestStore } from "../support/dynamo";
import { unclaimedItems } from "../support/item-families";

const ROOT = join(__dirname, "..", "..");

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const TABLES: [string, Readonly<Record<string, ItemFamily>>][] = [
  ["SESSIONS_ITEMS", SESSIONS_ITEMS],
  ["BOT_STATE_ITEMS", BOT_STATE_ITEMS],
];

describe("the item families of both tables", () => {
  it("each has an owner module that exists, and no key of one family falls into another", () => {
    for (const [, families] of TABLES) {
      for (const [name, family] of Object.entries(families)) {
        expect(existsSync(join(ROOT, family.owner)), `${name}: ${family.owner}`).toBe(true);
        for (const [other, f] of Object.entries(families)) {
          if (other === name) continue;
          const sample = f.match === "exact" ? f.key : `${f.key}x`;
          expect(familyOf({ [name]: family }, sample), `${other}'s keys claimed by ${name}`).toBeUndefined();
        }
      }
    }
  });

  it("only the owner builds a family's keys (lib/ and functions/ read the registry nowhere else)", () => {
    const files = [...sources("lib"), ...sources("functions")].filter((f) => f !== "lib/tables.ts");
    for (const [table, families] of TABLES) {
      for (const [name, family] of Object.entries(families)) {
        const users = files.filter((f) => readFileSync(join(ROOT, f), "utf8").includes(`${table}.${name}`));
        expect(
          users.every((f) => f === family.owner),
          `${table}.${name} used by ${users.join(", ")}`,
        ).toBe(true);
      }
    }
  });

  it("gives IAM patterns for dynamodb:LeadingKeys: the exact key, or the prefix and a wildcard", () => {
    expect(leadingKeyPattern(BOT_STATE_ITEMS.admin)).toBe("ADMIN");
    expect(leadingKeyPattern(BOT_STATE_ITEMS.audit)).toBe("AUDIT#*");
    expect(leadingKeyPattern(BOT_STATE_ITEMS.phoneLogin)).toBe("LOGIN#+*");
    expect(leadingKeyPattern(BOT_STATE_ITEMS.qrLogin)).toBe("LOGIN#QR#*");
    expect(itemKey(BOT_STATE_ITEMS.update, "42")).toBe("UPDATE#42");
    expect(() => itemKey(BOT_STATE_ITEMS.admin, "1")).toThrow(/no key suffix/);
  });
});

describe("the harness's check after every test file", () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
  });

  it("names an item of a family lib/tables.ts does not list, in either table, and passes the listed ones", async () => {
    await store.doc.send(
      new PutCommand({ TableName: store.botStateTable, Item: { pk: "ADMIN", sk: "1", role: "owner" } }),
    );
    await store.doc.send(
      new PutCommand({ TableName: store.botStateTable, Item: { pk: "DRAFT#7", sk: "x" } }),
    );
    await store.doc.send(new PutCommand({ TableName: store.sessionsTable, Item: { phone: "note-1" } }));
    expect((await unclaimedItems(store)).sort()).toEqual([
      `${store.botStateTable}: DRAFT#7`,
      `${store.sessionsTable}: note-1`,
    ]);
    // Gone again, so this file's own check after its tests passes.
    await store.doc.send(
      new DeleteCommand({ TableName: store.botStateTable, Key: { pk: "DRAFT#7", sk: "x" } }),
    );
    await store.doc.send(new DeleteCommand({ TableName: store.sessionsTable, Key: { phone: "note-1" } }));
    expect(await unclaimedItems(store)).toEqual([]);
  });
});
