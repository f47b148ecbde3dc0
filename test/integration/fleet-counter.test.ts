/**
 * The fleet counter (issue 19): the counts the menus, `sessions status`, the cleanup's report and the daily summary
 * show come from one counter item, changed in the same transaction as every row. Every repository write path is
 * driven here on DynamoDB Local, and after each one the counter equals a recount of the status index; reading the
 * counts is one GetItem whatever the fleet's size; tombstones stop counting on the day they expire.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, PutCommand, DeleteCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { createDocumentClient } from "../../lib/dynamo";
import { normalizePhone, SessionRepository, type Phone, type Session } from "../../lib/sessions";
import { cliEnv, runCli } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";

const account = { userId: "42", username: "acc" };
let next = 0;
const newPhone = (): Phone => normalizePhone(`+99897${String(1_000_000 + next++)}`);

/** A repository whose DynamoDB calls are listed by command name. */
function countingRepo(store: TestStore, now: () => Date) {
  const calls: string[] = [];
  const client = new DynamoDBClient({
    endpoint: store.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  client.middlewareStack.add(
    (nextStep, context) => async (args) => {
      calls.push(String(context.commandName));
      return nextStep(args);
    },
    { step: "initialize", name: "countCalls" },
  );
  const repo = new SessionRepository(createDocumentClient(client), store.sessionsTable, store.cipher, {
    now,
  });
  return { repo, calls, destroy: () => client.destroy() };
}

describe("the fleet counter", () => {
  it("equals a recount after every write path of the repository, whichever way the caller names the row", async () => {
    const store = await createTestStore();
    let clock = Date.parse("2026-06-01T00:00:00.000Z");
    const now = () => new Date(clock);
    const repo = store.sessions({ now, revocationGiveUpDays: 7 });
    const steps: string[] = [];
    const check = async (step: string) => {
      steps.push(step);
      const r = await store.sessions({ now }).recountFleet();
      expect({ step, drift: r.drift }).toEqual({ step, drift: {} });
    };
    await check("empty table");

    const a = newPhone();
    const b = newPhone();
    const c = newPhone();
    let sa: Session = await repo.create({ phone: a, sessionString: "sa", account });
    await check("create");
    await repo.create({ phone: b, sessionString: "sb", account });
    await repo.create({ phone: c, sessionString: "sc", account });
    await check("create three");

    const twoFa = (hasPassword: boolean) => ({ twoFa: { hasPassword, checkedAt: now().toISOString() } });
    sa = await repo.recordCheck(a, sa.version, twoFa(false));
    await check("2FA read as none on an active session");
    sa = await repo.recordCheck(a, sa.version, twoFa(false));
    await check("the same reading again");
    sa = await repo.recordCheck(a, sa.version, { lastCheckedAt: now().toISOString(), dcId: 2 });
    await check("bookkeeping only");
    expect(await repo.countActiveWithoutTwoFa()).toBe(1);

    sa = await repo.pause(a, sa); // the session as read: no read of its own
    await check("pause (session given)");
    expect(await repo.countActiveWithoutTwoFa()).toBe(0);
    sa = await repo.recordCheck(a, sa.version, twoFa(true));
    sa = await repo.recordCheck(a, sa.version, twoFa(false));
    await check("2FA readings on a paused session");
    sa = await repo.resume(a, sa.version);
    await check("resume (version given)");
    expect(await repo.countActiveWithoutTwoFa()).toBe(1);
    sa = await repo.markError(a, { message: "AUTH_KEY_UNREGISTERED: gone", code: "AUTH_KEY_UNREGISTERED" });
    await check("markError (nothing given)");
    sa = await repo.relogin(a, "sa2", account, sa.version);
    await check("relogin from error");
    sa = await repo.relogin(a, "sa3", account, sa);
    await check("relogin of an active session");
    sa = await repo.recordCheck(a, sa.version, twoFa(true));
    await check("2FA set");
    await repo.setProxy(a, { kind: "socks5", host: "127.0.0.1", port: 1080 });
    sa = await repo.clearProxy(a);
    await repo.acquireLease(a, "test", 60_000);
    await repo.releaseLease(a, "test");
    await check("proxy and lease writes");

    // @SpamBot readings: limited for good, limited until a day (counted until that day ends), free again.
    const reading = (r: Record<string, unknown>) =>
      ({ restriction: { checkedAt: now().toISOString(), ...r } }) as Parameters<typeof repo.recordCheck>[2];
    sa = await repo.recordCheck(a, sa.version, reading({ state: "limited-forever" }));
    await check("limited for good");
    expect((await repo.fleetCounts()).activeRestricted).toBe(1);
    sa = await repo.recordCheck(
      a,
      sa.version,
      reading({ state: "limited", until: "2026-06-03T12:00:00.000Z" }),
    );
    await check("limited until a date");
    expect((await repo.fleetCounts()).activeRestricted).toBe(1);
    sa = await repo.pause(a, sa);
    await check("a limited session paused");
    expect((await repo.fleetCounts()).activeRestricted).toBe(0);
    sa = await repo.resume(a, sa);
    await check("resumed");
    clock += 3 * 86_400_000; // past the day the limit ends
    expect((await repo.fleetCounts()).activeRestricted).toBe(0);
    expect(await repo.countActiveRestricted()).toBe(0);
    await check("a limit past its day");
    sa = await repo.recordCheck(a, sa.version, reading({ state: "free" }));
    await check("free again");

    // A login again over a stored key: the old key's item (REPLACED#) counts as a pending logout until it settles.
    const replacedOnce = await repo.replaceKey(a, "sa-new", account, undefined, sa);
    sa = replacedOnce.session;
    await check("a key replaced (its logout pending)");
    expect(await repo.fleetCounts()).toMatchObject({ pendingRevocations: 1, pendingReplacedKeys: 1 });
    const still = await repo.settleReplacedKey(replacedOnce.replacedKey!, { notConfirmed: "TIMEOUT" });
    expect(still.state).toBe("pending");
    await check("a replaced key's logout still pending");
    const [pendingKey] = (await repo.listPendingReplacedKeys({ phone: a })).items;
    await repo.settleReplacedKey(pendingKey!, { confirmed: "logged-out" });
    await check("a replaced key's logout settled");
    const replacedTwice = await repo.replaceKey(a, "sa-newer", account, undefined, sa);
    sa = replacedTwice.session;
    await repo.dropReplacedKey(replacedTwice.replacedKey!);
    await check("a replaced key's item dropped");
    expect(await repo.fleetCounts()).toMatchObject({ pendingRevocations: 0, pendingReplacedKeys: 0 });

    // Deletes: legacy, confirmed, pending; a pending one retried, then settled; a settled tombstone replaced.
    await repo.delete(b);
    await check("delete");
    sa = await repo.deleteWithRevocation(a, { notConfirmed: "TIMEOUT" }, sa);
    await check("delete with the logout pending");
    expect((await repo.fleetCounts()).pendingRevocations).toBe(1);
    clock += 86_400_000;
    sa = await repo.retryRevocation(sa, { notConfirmed: "TIMEOUT" });
    await check("retry still pending");
    expect((await repo.retryRevocation(sa, { confirmed: "logged-out" })).revocation?.state).toBe(
      "logged-out",
    );
    await check("retry settled");
    expect((await repo.fleetCounts()).pendingRevocations).toBe(0);
    await repo.deleteWithRevocation(c, { confirmed: "already-dead" });
    await check("delete confirmed");
    await repo.create({ phone: a, sessionString: "sa4", account });
    await check("a new session over a settled tombstone");
    expect(await repo.countByStatus()).toEqual({ active: 1, paused: 0, error: 0, deleted: 2 });

    // A tombstone counts until the day it expires, whenever TTL removes it; the recount says the same.
    clock += 31 * 86_400_000;
    expect(await repo.countByStatus()).toEqual({ active: 1, paused: 0, error: 0, deleted: 0 });
    await check("tombstones past their expiry day");
    expect(steps.length).toBeGreaterThan(20);
  });

  it("is read with one GetItem whatever the fleet's size", async () => {
    const store = await createTestStore();
    const now = () => new Date("2026-06-01T00:00:00.000Z");
    const repo = store.sessions({ now });
    await repo.create({ phone: newPhone(), sessionString: "s", account });
    const items = Array.from({ length: 500 }, (_, i) => ({
      phone: `+99896${String(1_000_000 + i)}`,
      status: i % 5 === 0 ? "error" : "active",
      isPaused: i % 5 === 0,
      createdAt: now().toISOString(),
      updatedAt: now().toISOString(),
      version: 1,
    }));
    for (let i = 0; i < items.length; i += 25) {
      await store.doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [store.sessionsTable]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }
    // Rows loaded behind the repository's back (a restore by hand): the counter does not know them until repaired.
    const drifted = await repo.recountFleet();
    expect(drifted.drift).toEqual({ active: -400, error: -100 });
    expect((await repo.recountFleet({ repair: true })).repaired).toBe(true);

    const counting = countingRepo(store, now);
    try {
      expect(await counting.repo.countByStatus()).toEqual({ active: 401, paused: 0, error: 100, deleted: 0 });
      expect(counting.calls).toEqual(["GetItemCommand"]);
      counting.calls.length = 0;
      expect(await counting.repo.countActiveWithoutTwoFa()).toBe(0);
      expect(counting.calls).toEqual(["GetItemCommand"]);
    } finally {
      counting.destroy();
    }
  });

  it("is counted from the index once when it was never counted (a table from before the counter)", async () => {
    const store = await createTestStore();
    const repo = store.sessions();
    // A table from before the counter: it has no counter item.
    await store.doc.send(
      new DeleteCommand({ TableName: store.sessionsTable, Key: { phone: "COUNTS#fleet" } }),
    );
    await store.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [store.sessionsTable]: [1, 2, 3].map((i) => ({
            PutRequest: {
              Item: {
                phone: `+99895${String(1_000_000 + i)}`,
                status: "paused",
                isPaused: true,
                createdAt: "2026-01-01T00:00:00.000Z",
                updatedAt: "2026-01-01T00:00:00.000Z",
                version: 1,
              },
            },
          })),
        },
      }),
    );
    expect(await repo.countByStatus()).toEqual({ active: 0, paused: 3, error: 0, deleted: 0 });
    expect((await repo.recountFleet()).drift).toEqual({});
  });
});

describe("sessions counts", () => {
  it(
    "reports a drift and exits 1, --repair fixes it, --json says the same for scripts",
    { timeout: 180_000 },
    async () => {
      const store = await createTestStore();
      const repo = store.sessions();
      await repo.create({ phone: newPhone(), sessionString: "s1", account });
      await repo.create({ phone: newPhone(), sessionString: "s2", account });
      const env = cliEnv(store);

      const clean = await runCli(["counts"], { env });
      expect(clean.stdout).toContain("No drift: the counter agrees with the rows.");
      expect(clean.code).toBe(0);

      // A row written behind the repository's back.
      await store.doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [store.sessionsTable]: [
              {
                PutRequest: {
                  Item: {
                    phone: "+998941234567",
                    status: "error",
                    isPaused: true,
                    createdAt: "2026-01-01T00:00:00.000Z",
                    updatedAt: "2026-01-01T00:00:00.000Z",
                    version: 1,
                  },
                },
              },
            ],
          },
        }),
      );
      const report = await runCli(["counts", "--json"], { env });
      expect(report.code).toBe(1);
      const parsed = JSON.parse(report.stdout) as Record<string, unknown>;
      expect(parsed).toMatchObject({
        counter: { active: 2, error: 0 },
        recount: { active: 2, error: 1 },
        drift: { error: -1 },
        repaired: false,
      });
      const said = await runCli(["counts"], { env });
      expect(said.code).toBe(1);
      expect(said.stdout).toContain("Drift: the counter differs from the rows (error -1).");
      expect(said.stdout).toContain("sessions counts --repair");

      const repaired = await runCli(["counts", "--repair"], { env });
      expect(repaired.code).toBe(0);
      expect(repaired.stdout).toContain("Drift found (error -1) and repaired");
      expect(await repo.countByStatus()).toEqual({ active: 2, paused: 0, error: 1, deleted: 0 });
      const after = await runCli(["counts"], { env });
      expect(after.stdout).toContain("No drift");

      // A replaced key's item (the old key of a phone logged in again, its logout pending) written behind the
      // repository's back: the recount finds it in its partition of the revocation index, and --repair counts it.
      await store.doc.send(
        new PutCommand({
          TableName: store.sessionsTable,
          Item: {
            phone: "REPLACED#+998941234567#2026-01-01T00:00:00.000Z",
            replacedPhone: "+998941234567",
            replacedAt: "2026-01-01T00:00:00.000Z",
            sessionCiphertext: "not opened here",
            revocationState: "pending-replaced",
            revocationGiveUpAt: "2026-01-08T00:00:00.000Z",
            revocationFirstTriedAt: "2026-01-01T00:00:00.000Z",
            revocationLastTriedAt: "2026-01-01T00:00:00.000Z",
            revocationAttempts: 0,
            revocationLastError: "not tried yet",
          },
        }),
      );
      const replaced = await runCli(["counts", "--json"], { env });
      expect(replaced.code).toBe(1);
      expect(JSON.parse(replaced.stdout)).toMatchObject({
        counter: { pendingRevocations: 0, pendingReplacedKeys: 0 },
        recount: { pendingRevocations: 1, pendingReplacedKeys: 1 },
        drift: { pendingReplacedKeys: -1 },
        repaired: false,
      });
      const repairedAgain = await runCli(["counts", "--repair"], { env });
      expect(repairedAgain.code).toBe(0);
      expect(repairedAgain.stdout).toContain("Drift found (pendingReplacedKeys -1) and repaired");
      expect(await repo.fleetCounts()).toMatchObject({ pendingRevocations: 1, pendingReplacedKeys: 1 });
      expect((await runCli(["counts"], { env })).stdout).toContain("No drift");
    },
  );
});
