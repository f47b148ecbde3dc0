/**
 * `sessions migrate-encryption` as an operator runs it (the real CLI process, DynamoDB Local, the real cipher): rows
 * the previous version sealed in format 1 (every status, a pending-revocation tombstone, proxy credentials, more than
 * one page of the status index, a replaced key whose logout is pending) are all sealed in format 2 afterwards and open to exactly what was stored; nothing
 * else of a row moves; a dry run changes nothing; a second run has nothing left to do; a row that does not open is
 * reported and left as it was.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { normalizePhone, type Phone } from "../../lib/sessions";
import { cliEnv, fakeSessionString, runCli, seed } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { makeLegacy, openSecrets, rawRow } from "../support/legacy-rows";

vi.setConfig({ testTimeout: 90_000 });

const MANY = 130; // more than one page (100) of the active part of the status index

interface MigrateJson {
  dryRun: boolean;
  examined: number;
  replacedKeys: number;
  migrated: number;
  alreadyNew: number;
  withoutSecret: number;
  changedMeanwhile: number;
  skipped: string[];
  failed: { phone: string; reason: string }[];
  complete: boolean;
}

describe("sessions migrate-encryption", () => {
  let store: TestStore;
  let env: NodeJS.ProcessEnv;
  const p = (n: number) => normalizePhone(`+9989077${String(n).padStart(5, "0")}`);
  const active = p(1);
  const paused = p(2);
  const error = p(3);
  const settled = p(4);
  const pending = p(5);
  const fresh = p(6);
  const relogged = p(7);
  const reloggedKey = `${fakeSessionString(relogged)}-relogged`;
  let replacedItem: { itemKey: string };
  const many = Array.from({ length: MANY }, (_, i) => p(100 + i));
  let legacyPhones: Phone[];
  const before = new Map<Phone, Record<string, unknown>>();

  beforeAll(async () => {
    store = await createTestStore();
    env = cliEnv(store);
    await seed(store, [
      { phone: active },
      { phone: paused, status: "paused" },
      { phone: error, status: "error" },
      { phone: settled, status: "deleted" },
      { phone: pending },
      { phone: fresh },
      { phone: relogged },
      ...many.map((phone) => ({ phone })),
    ]);
    const repo = store.sessions();
    await repo.setProxy(paused, {
      kind: "socks5",
      host: "127.0.0.1",
      port: 1080,
      username: "proxy-user",
      password: "proxy-secret-pass",
    });
    // A tombstone whose logout at Telegram is not confirmed keeps its ciphertext: it must migrate too.
    await repo.deleteWithRevocation(pending, { notConfirmed: "TIMEOUT" });
    // Logged in again while Telegram could not confirm the old key's logout: the old key kept in its own item.
    const { replacedKey } = await repo.replaceKey(
      relogged,
      reloggedKey,
      { userId: "7007" },
      undefined,
      await repo.require(relogged),
    );
    replacedItem = { itemKey: replacedKey!.id };
    await makeLegacy(store, relogged, "sessionCiphertext", replacedItem);
    legacyPhones = [active, paused, error, pending, ...many];
    for (const phone of legacyPhones) await makeLegacy(store, phone);
    await makeLegacy(store, paused, "proxyCiphertext");
    for (const phone of [...legacyPhones, fresh, settled]) before.set(phone, (await rawRow(store, phone))!);
  });

  it("--dry-run --json counts what is to do and changes nothing", async () => {
    const r = await runCli(["migrate-encryption", "--dry-run", "--json"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as MigrateJson;
    expect(out).toEqual({
      dryRun: true,
      examined: legacyPhones.length + 4,
      replacedKeys: 1,
      migrated: legacyPhones.length + 1,
      alreadyNew: 2,
      withoutSecret: 1,
      changedMeanwhile: 0,
      skipped: [],
      failed: [],
      complete: true,
    });
    for (const [phone, item] of before) expect(await rawRow(store, phone)).toEqual(item);
    expect((await openSecrets(store, relogged, replacedItem)).formats).toEqual(["skenc1"]);
  });

  it("seals every old row in format 2; each opens to what was stored, nothing else of the row moves", async () => {
    const r = await runCli(["migrate-encryption"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Migrated ${legacyPhones.length + 1} sessions to the current format; 2 already in it, 1 with nothing sealed`,
    );
    expect(r.stdout).toContain("1 of them was a replaced key (the old key of a session logged in again");
    // The replaced key: sealed anew, still the old key, and still what its logout retry opens.
    expect(await openSecrets(store, relogged, replacedItem)).toEqual({
      session: fakeSessionString(relogged),
      formats: ["skenc2"],
    });
    const [pendingKey] = (await store.sessions().listPendingReplacedKeys({ phone: relogged })).items;
    expect(await store.sessions().readReplacedKeyString(pendingKey!)).toBe(fakeSessionString(relogged));
    expect(await store.sessions().readSessionString(relogged)).toBe(reloggedKey);
    for (const phone of [...legacyPhones, fresh]) {
      const opened = await openSecrets(store, phone);
      expect(
        opened.formats.every((f) => f === "skenc2"),
        phone,
      ).toBe(true);
      expect(opened.session).toBe(fakeSessionString(phone));
      const now = (await rawRow(store, phone))!;
      const was = before.get(phone)!;
      expect([now.version, now.updatedAt, now.status]).toEqual([was.version, was.updatedAt, was.status]);
    }
    const proxy = await store.sessions().readProxy(paused);
    expect(proxy).toMatchObject({ username: "proxy-user", password: "proxy-secret-pass", port: 1080 });
    expect((await openSecrets(store, paused)).formats).toEqual(["skenc2", "skenc2"]);
    // The pending tombstone still opens through the path its logout retry uses.
    expect(await store.sessions().readSessionString(pending)).toBe(fakeSessionString(pending));
    expect(await rawRow(store, settled)).toEqual(before.get(settled));
    // No secret in what the operator sees.
    for (const phone of legacyPhones) expect(r.stdout + r.stderr).not.toContain(fakeSessionString(phone));
    expect(r.stdout + r.stderr).not.toContain("proxy-secret-pass");
  });

  it("run again, it has nothing left to do", async () => {
    const r = await runCli(["migrate-encryption", "--json"], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as MigrateJson;
    expect(out).toMatchObject({
      dryRun: false,
      migrated: 0,
      alreadyNew: legacyPhones.length + 3,
      complete: true,
    });
  });

  it("reports a row that does not open, leaves it as it was, and exits 1; the others are unaffected", async () => {
    const copied = p(9);
    await seed(store, [{ phone: copied }]);
    // A ciphertext copied from another row: the row binding refuses to open it.
    const other = p(10);
    await seed(store, [{ phone: other }]);
    await makeLegacy(store, other);
    const foreign = (await rawRow(store, other))!.sessionCiphertext as string;
    await store.doc.send(
      new UpdateCommand({
        TableName: store.sessionsTable,
        Key: { phone: copied },
        UpdateExpression: "SET sessionCiphertext = :c",
        ExpressionAttributeValues: { ":c": foreign },
      }),
    );
    const r = await runCli(["migrate-encryption"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Migrated 1 session to the current format");
    expect(r.stderr).toContain(
      `Failed: 1 session, left as they were:\n  ${copied}: The stored secret could not`,
    );
    expect((await rawRow(store, copied))!.sessionCiphertext).toBe(foreign);
    expect((await openSecrets(store, other)).formats).toEqual(["skenc2"]);
  });

  it("--help documents the JSON shape, resumability and what is not migrated", async () => {
    const r = await runCli(["migrate-encryption", "--help"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"changedMeanwhile": 0, "skipped"');
    expect(r.stdout).toContain("run it again to do what is left");
    expect(r.stdout).toContain("Half-finished logins and keypad digits are not touched");
  });
});
