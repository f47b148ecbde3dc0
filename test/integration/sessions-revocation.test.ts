/**
 * The repository side of revoking a deleted session's key (issue 16), on DynamoDB Local: a delete whose logout was
 * confirmed destroys the ciphertext and says how the key ended; one that was not keeps the ciphertext in a pending
 * tombstone (no expiry) that the sparse `byRevocation` index finds without reading anything else; retries settle it
 * (confirmed, or given up after the set number of days with the ciphertext destroyed and "unconfirmed" recorded).
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import {
  RevocationPendingError,
  RevocationSettledError,
  SessionNotFoundError,
  StaleVersionError,
  nextRevocation,
  normalizePhone,
  type Phone,
  type SessionRepository,
} from "../../lib/sessions";
import { createTestStore, type TestStore } from "../support/dynamo";

const SESSION_STRING = `1${"B".repeat(200)}revocationSecretTail==`;
const account = { userId: "880001", username: "kept_one" };

let store: TestStore;
let seq = 0;
function nextPhone(): Phone {
  seq += 1;
  return normalizePhone(
    `+99891${String(process.pid % 100).padStart(2, "0")}${String(10_000 + seq).slice(-5)}`,
  );
}

beforeAll(async () => {
  store = await createTestStore();
});

/** A repository whose clock the test moves. */
function clocked(start = new Date("2026-12-01T10:00:00.000Z")): {
  repo: SessionRepository;
  at: (d: Date) => void;
} {
  let now = start;
  return { repo: store.sessions({ now: () => now }), at: (d) => (now = d) };
}

async function rawItem(phone: Phone): Promise<Record<string, unknown>> {
  const out = await store.doc.send(new GetCommand({ TableName: store.sessionsTable, Key: { phone } }));
  return out.Item!;
}

describe("deleting after the logout was tried", () => {
  it("confirmed: destroys the ciphertext and says the key was logged out, with the tombstone's expiry", async () => {
    const { repo } = clocked();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });

    const deleted = await repo.deleteWithRevocation(phone, { confirmed: "logged-out" });

    expect(deleted).toMatchObject({
      status: "deleted",
      hasSecret: false,
      revocation: { state: "logged-out", at: "2026-12-01T10:00:00.000Z", attempts: 1 },
    });
    const item = await rawItem(phone);
    expect(item.sessionCiphertext).toBeUndefined();
    expect(item.expiresAt).toEqual(expect.any(Number));
    expect(item.revocationGiveUpAt).toBeUndefined();
  });

  it("not confirmed: a pending tombstone that keeps the ciphertext, never expires, and still opens", async () => {
    const { repo } = clocked();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });

    const deleted = await repo.deleteWithRevocation(phone, {
      notConfirmed: "TIMEOUT: Telegram did not answer",
    });

    expect(deleted).toMatchObject({
      status: "deleted",
      hasSecret: true,
      revocation: {
        state: "pending",
        firstTriedAt: "2026-12-01T10:00:00.000Z",
        giveUpAt: "2026-12-08T10:00:00.000Z",
        attempts: 1,
        lastError: "TIMEOUT: Telegram did not answer",
      },
    });
    expect((await rawItem(phone)).expiresAt).toBeUndefined();
    // The retry opens the key under a lease, as any use does.
    await repo.acquireLease(phone, "cleanup:test#1", 30_000);
    expect(await repo.readSessionString(phone)).toBe(SESSION_STRING);
    await repo.releaseLease(phone, "cleanup:test#1");
  });

  it("gives up after the set number of days (a repository setting)", async () => {
    const repo = store.sessions({ now: () => new Date("2026-12-01T10:00:00.000Z"), revocationGiveUpDays: 2 });
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });

    const deleted = await repo.deleteWithRevocation(phone, { notConfirmed: "CONNECT_FAILED" });

    expect(deleted.revocation).toMatchObject({ state: "pending", giveUpAt: "2026-12-03T10:00:00.000Z" });
  });

  it("a new session for the phone is refused while its old key's logout is pending, and nothing is overwritten", async () => {
    const { repo } = clocked();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    await repo.deleteWithRevocation(phone, { notConfirmed: "TIMEOUT" });

    await expect(repo.create({ phone, sessionString: "other", account })).rejects.toBeInstanceOf(
      RevocationPendingError,
    );
    expect(await repo.readSessionString(phone)).toBe(SESSION_STRING);
  });
});

describe("retrying pending logouts", () => {
  it("lists only the pending tombstones, soonest given up first, by a key-condition query on the sparse index", async () => {
    const { repo, at } = clocked(new Date("2030-01-01T00:00:00.000Z"));
    const [late, early, confirmed, alive] = [nextPhone(), nextPhone(), nextPhone(), nextPhone()];
    for (const p of [late, early, confirmed, alive])
      await repo.create({ phone: p, sessionString: SESSION_STRING, account });
    at(new Date("2030-01-02T00:00:00.000Z"));
    await repo.deleteWithRevocation(late, { notConfirmed: "TIMEOUT" });
    at(new Date("2030-01-01T12:00:00.000Z"));
    await repo.deleteWithRevocation(early, { notConfirmed: "TIMEOUT" });
    await repo.deleteWithRevocation(confirmed, { confirmed: "already-dead" });

    // Other test files share nothing, but this file's other tests add pending rows too: filter to ours.
    const ours = new Set([late, early, confirmed, alive]);
    const all = [];
    let cursor: string | undefined;
    do {
      const page = await repo.listPendingRevocations({ limit: 2, ...(cursor ? { cursor } : {}) });
      all.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    expect(all.filter((s) => ours.has(s.phone)).map((s) => s.phone)).toEqual([early, late]);
    expect(all.every((s) => s.revocation?.state === "pending" && s.hasSecret)).toBe(true);

    const due = await repo.listPendingRevocations({ giveUpBefore: new Date("2030-01-08T18:00:00.000Z") });
    expect(due.items.filter((s) => ours.has(s.phone)).map((s) => s.phone)).toEqual([early]);
  });

  it("a confirmed retry settles it: ciphertext destroyed, expiry set, out of the index", async () => {
    const { repo, at } = clocked();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    const pending = await repo.deleteWithRevocation(phone, { notConfirmed: "TIMEOUT" });
    at(new Date("2026-12-02T10:00:00.000Z"));

    const settled = await repo.retryRevocation(pending, { confirmed: "logged-out" });

    expect(settled).toMatchObject({
      status: "deleted",
      hasSecret: false,
      revocation: { state: "logged-out", at: "2026-12-02T10:00:00.000Z", attempts: 2 },
    });
    const item = await rawItem(phone);
    expect(item.sessionCiphertext).toBeUndefined();
    expect(item.expiresAt).toEqual(expect.any(Number));
    expect(item.revocationGiveUpAt).toBeUndefined();
    expect(item.revocationLastError).toBeUndefined();
    const listed = await repo.listPendingRevocations({ limit: 100 });
    expect(listed.items.map((s) => s.phone)).not.toContain(phone);
    // Settled: nothing to open any more, and the phone is free for a new session.
    await expect(repo.acquireLease(phone, "cleanup:test#2", 30_000)).rejects.toBeInstanceOf(
      SessionNotFoundError,
    );
    await expect(repo.create({ phone, sessionString: "new key", account })).resolves.toMatchObject({
      status: "active",
    });
  });

  it("an unconfirmed retry before the give-up date keeps it pending with the attempt counted", async () => {
    const { repo, at } = clocked();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    const pending = await repo.deleteWithRevocation(phone, { notConfirmed: "TIMEOUT" });
    at(new Date("2026-12-04T10:00:00.000Z"));

    const again = await repo.retryRevocation(pending, { notConfirmed: "FLOOD_WAIT: wait 30 s" });

    expect(again).toMatchObject({
      hasSecret: true,
      revocation: {
        state: "pending",
        firstTriedAt: "2026-12-01T10:00:00.000Z",
        lastTriedAt: "2026-12-04T10:00:00.000Z",
        giveUpAt: "2026-12-08T10:00:00.000Z",
        attempts: 2,
        lastError: "FLOOD_WAIT: wait 30 s",
      },
    });
    expect(await repo.readSessionString(phone)).toBe(SESSION_STRING);
  });

  it("past the give-up date an unconfirmed retry destroys the ciphertext anyway and records 'unconfirmed', with its audit entry in the same write", async () => {
    const { repo, at } = clocked();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    const pending = await repo.deleteWithRevocation(phone, { notConfirmed: "TIMEOUT" });
    at(new Date("2026-12-08T10:00:00.000Z"));
    const audit = {
      TableName: store.botStateTable,
      Item: { pk: `AUDIT#test-${phone}`, sk: "1", action: "x" },
    };

    const given = await repo.retryRevocation(pending, { notConfirmed: "CONNECT_FAILED" }, { alsoPut: audit });

    expect(given).toMatchObject({
      hasSecret: false,
      revocation: {
        state: "unconfirmed",
        at: "2026-12-08T10:00:00.000Z",
        firstTriedAt: "2026-12-01T10:00:00.000Z",
        attempts: 2,
        lastError: "CONNECT_FAILED",
      },
    });
    expect((await rawItem(phone)).sessionCiphertext).toBeUndefined();
    const written = await store.doc.send(
      new GetCommand({ TableName: store.botStateTable, Key: { pk: audit.Item.pk, sk: "1" } }),
    );
    expect(written.Item).toBeDefined();
  });

  it("refuses a stale row (another retry won) and a settled one, changing nothing", async () => {
    const { repo } = clocked();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    const pending = await repo.deleteWithRevocation(phone, { notConfirmed: "TIMEOUT" });
    const settled = await repo.retryRevocation(pending, { confirmed: "already-dead" });

    await expect(repo.retryRevocation(pending, { notConfirmed: "TIMEOUT" })).rejects.toBeInstanceOf(
      StaleVersionError,
    );
    await expect(repo.retryRevocation(settled, { confirmed: "logged-out" })).rejects.toBeInstanceOf(
      RevocationSettledError,
    );
    expect((await repo.get(phone))?.revocation).toMatchObject({ state: "already-dead" });
  });

  it("a failed audit write (the transaction's other half) leaves the pending tombstone and its ciphertext as they were", async () => {
    const { repo, at } = clocked();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    const pending = await repo.deleteWithRevocation(phone, { notConfirmed: "TIMEOUT" });
    at(new Date("2026-12-09T10:00:00.000Z"));

    await expect(
      repo.retryRevocation(
        pending,
        { confirmed: "logged-out" },
        { alsoPut: { TableName: "no-such-table", Item: { pk: "a" } } },
      ),
    ).rejects.toThrow();

    expect(await repo.get(phone)).toMatchObject({
      hasSecret: true,
      revocation: { state: "pending", attempts: 1 },
    });
  });
});

describe("the revocation state machine", () => {
  const now = new Date("2026-12-01T00:00:00.000Z");

  it("has no move out of a settled logout", () => {
    const settled = nextRevocation(undefined, { confirmed: "logged-out" }, now);
    expect(() => nextRevocation(settled, { notConfirmed: "TIMEOUT" }, now)).toThrow(RevocationSettledError);
  });

  it("refuses a give-up of zero days", () => {
    expect(() => nextRevocation(undefined, { notConfirmed: "TIMEOUT" }, now, 0)).toThrow(/positive/);
    expect(() => store.sessions({ revocationGiveUpDays: -1 })).toThrow(/positive/);
  });
});
