import { beforeAll, describe, expect, it } from "vitest";
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  IllegalTransitionError,
  InvalidCursorError,
  LeaseHeldError,
  SessionExistsError,
  SessionNotFoundError,
  StaleVersionError,
  normalizePhone,
  type Phone,
  type SessionRepository,
} from "../../lib/sessions";
import { AuditLog } from "../../lib/bot-state/audit";
import { BY_STATUS_INDEX } from "../../lib/tables";
import { createTestStore, type TestStore } from "../support/dynamo";

const SESSION_STRING = `1${"A".repeat(200)}sessionSecretTail==`;
const account = { userId: "777001", username: "fleet_one", firstName: "Fleet" };

let store: TestStore;
let seq = 0;
/** A fresh, valid Uzbek mobile number per test, so tests never share a row. */
function nextPhone(): Phone {
  seq += 1;
  return normalizePhone(`+99890${String(1_000_000 + seq).slice(-7)}`);
}

beforeAll(async () => {
  store = await createTestStore();
});

describe("creating and reading sessions", () => {
  it("stores a new session as active, unpaused, version 1, with the secret encrypted", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    const created = await repo.create({ phone, sessionString: SESSION_STRING, account });
    expect(created).toMatchObject({
      phone,
      status: "active",
      isPaused: false,
      version: 1,
      hasSecret: true,
      account,
    });

    const raw = await store.doc.send(
      new QueryCommand({
        TableName: store.sessionsTable,
        KeyConditionExpression: "phone = :p",
        ExpressionAttributeValues: { ":p": phone },
      }),
    );
    const item = raw.Items![0]!;
    expect(JSON.stringify(item)).not.toContain("sessionSecretTail");
    expect(item.sessionCiphertext).toMatch(/^skenc2\.local\./);
    expect(await repo.readSessionString(phone)).toBe(SESSION_STRING);
  });

  it("refuses a phone that already has a session and overwrites nothing", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    await expect(
      repo.create({ phone, sessionString: "another-string", account: { userId: "1" } }),
    ).rejects.toBeInstanceOf(SessionExistsError);
    expect(await repo.readSessionString(phone)).toBe(SESSION_STRING);
    expect((await repo.get(phone))?.account?.userId).toBe(account.userId);
  });

  it("gets nothing for an unknown phone, and require() says so clearly", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    expect(await repo.get(phone)).toBeUndefined();
    await expect(repo.require(phone)).rejects.toThrow(/No session for \+998/);
  });
});

describe("transitions with optimistic locking", () => {
  it("pauses and resumes an active session, bumping the version each time", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    const s1 = await repo.create({ phone, sessionString: SESSION_STRING, account });
    const paused = await repo.pause(phone, s1.version);
    expect(paused).toMatchObject({ status: "paused", isPaused: true, version: 2 });
    const resumed = await repo.resume(phone, paused.version);
    expect(resumed).toMatchObject({ status: "active", isPaused: false, version: 3 });
  });

  it("rejects a write made from a stale version and leaves the row as the winner wrote it", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    const s1 = await repo.create({ phone, sessionString: SESSION_STRING, account });
    await repo.pause(phone, s1.version); // the winner
    const err = await repo
      .markError(phone, { message: "AUTH_KEY_UNREGISTERED: x", code: "AUTH_KEY_UNREGISTERED" }, s1.version)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaleVersionError);
    expect((err as StaleVersionError).actual).toBe(2);
    expect(await repo.get(phone)).toMatchObject({ status: "paused", version: 2 });
    expect((await repo.get(phone))?.lastError).toBeUndefined();
  });

  it("marks a session error exactly as SEED.md step 1 shows", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    const failed = await repo.markError(phone, {
      message: "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
      code: "AUTH_KEY_UNREGISTERED",
    });
    expect(failed).toMatchObject({
      status: "error",
      isPaused: true,
      lastError: "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
      lastErrorCode: "AUTH_KEY_UNREGISTERED",
    });
  });

  it("refuses illegal transitions with the reason, changing nothing", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    const s = await repo.create({ phone, sessionString: SESSION_STRING, account });
    await expect(repo.resume(phone)).rejects.toThrow(/only a paused session can be resumed/);
    const failed = await repo.markError(phone, { message: "dead", code: "SESSION_REVOKED" }, s.version);
    await expect(repo.resume(phone)).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(repo.pause(phone, failed.version)).rejects.toBeInstanceOf(IllegalTransitionError);
    expect(await repo.get(phone)).toMatchObject({ status: "error", version: failed.version });
  });

  it("relogin replaces the secret, clears the error and makes the session active", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    const failed = await repo.markError(phone, { message: "dead", code: "SESSION_REVOKED" });
    const back = await repo.relogin(
      phone,
      "new-session-string",
      { userId: "777001", firstName: "Renamed" },
      failed.version,
    );
    expect(back).toMatchObject({
      status: "active",
      isPaused: false,
      account: { userId: "777001", firstName: "Renamed" },
    });
    expect(back.lastError).toBeUndefined();
    expect(back.account?.username).toBeUndefined();
    expect(await repo.readSessionString(phone)).toBe("new-session-string");
  });

  it("delete destroys the ciphertext and leaves a tombstone that a new session may replace", async () => {
    const repo = store.sessions();
    const phone = nextPhone();
    await repo.create({ phone, sessionString: SESSION_STRING, account });
    const deleted = await repo.delete(phone);
    expect(deleted).toMatchObject({ status: "deleted", hasSecret: false });
    await expect(repo.readSessionString(phone)).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(repo.require(phone)).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(repo.pause(phone)).rejects.toBeInstanceOf(SessionNotFoundError);
    const again = await repo.create({ phone, sessionString: "fresh", account });
    expect(again).toMatchObject({ status: "active", version: 1 });
  });

  it("recordCheck keeps updatedAt and status but bumps the version", async () => {
    let clock = new Date("2026-01-01T00:00:00.000Z");
    const repo = store.sessions({ now: () => clock });
    const phone = nextPhone();
    const s = await repo.create({ phone, sessionString: SESSION_STRING, account });
    clock = new Date("2026-01-02T00:00:00.000Z");
    const checked = await repo.recordCheck(phone, s.version, {
      lastCheckedAt: clock.toISOString(),
      account: { userId: "777001", username: "renamed" },
      floodWaitUntil: "2026-01-02T01:00:00.000Z",
    });
    expect(checked).toMatchObject({ updatedAt: s.updatedAt, lastCheckedAt: clock.toISOString(), version: 2 });
    expect(checked.account?.username).toBe("renamed");
    const cleared = await repo.recordCheck(phone, checked.version, {
      floodWaitUntil: null,
      consecutiveFailures: 2,
    });
    expect(cleared.floodWaitUntil).toBeUndefined();
    expect(cleared.consecutiveFailures).toBe(2);
    await expect(repo.recordCheck(phone, s.version, {})).rejects.toBeInstanceOf(StaleVersionError);
  });
});

describe("listing by status through the byStatus index", () => {
  let listStore: TestStore;
  let repo: SessionRepository;
  const phones: Phone[] = [];

  beforeAll(async () => {
    listStore = await createTestStore();
    let t = Date.parse("2026-03-01T00:00:00.000Z");
    repo = listStore.sessions({ now: () => new Date((t += 1000)) });
    for (let i = 0; i < 45; i++) {
      const phone = normalizePhone(`+99891${String(2_000_000 + i).slice(-7)}`);
      phones.push(phone);
      await repo.create({ phone, sessionString: `s${i}`, account: { userId: String(i) } });
    }
    for (const phone of phones.slice(0, 5)) await repo.pause(phone);
  });

  it("pages across more than one page, newest first, with no item twice or missing", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await repo.listByStatus("active", { limit: 15, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(15);
      seen.push(...page.items.map((s) => s.phone));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
    expect(seen[0]).toBe(phones[44]);
    expect(seen.at(-1)).toBe(phones[5]);
  });

  it("lists oldest first on request, and only the asked status", async () => {
    const page = await repo.listByStatus("paused", { order: "oldest" });
    expect(page.items.map((s) => s.phone)).toEqual(phones.slice(0, 5));
    expect(page.cursor).toBeUndefined();
  });

  it("counts sessions per status", async () => {
    expect(await repo.countByStatus()).toEqual({ active: 40, paused: 5, error: 0, deleted: 0 });
  });

  it("rejects a forged or damaged cursor with a clear error", async () => {
    await expect(repo.listByStatus("active", { cursor: "not-a-cursor" })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    const forged = Buffer.from(JSON.stringify({ phone: { S: "x" } })).toString("base64url");
    await expect(repo.listByStatus("active", { cursor: forged })).rejects.toBeInstanceOf(InvalidCursorError);
  });
});

describe("the cleanup cut-off query", () => {
  it("returns exactly the old error sessions and reads no others", async () => {
    const s = await createTestStore();
    let clock = new Date("2026-01-01T00:00:00.000Z");
    const repo = s.sessions({ now: () => clock });
    const old: Phone[] = [];
    // 6 old error sessions (updated 60 days before the cut-off date), 4 recent errors, 20 active, 3 paused.
    for (let i = 0; i < 33; i++) {
      const phone = normalizePhone(`+99893${String(3_000_000 + i).slice(-7)}`);
      clock = new Date(Date.parse("2026-01-01T00:00:00.000Z") + i * 60_000);
      await repo.create({ phone, sessionString: `s${i}`, account: { userId: String(i) } });
      if (i < 6) {
        await repo.markError(phone, { message: "dead", code: "AUTH_KEY_UNREGISTERED" });
        old.push(phone);
      } else if (i < 10) {
        clock = new Date("2026-02-25T00:00:00.000Z");
        await repo.markError(phone, { message: "dead", code: "SESSION_REVOKED" });
      } else if (i < 13) {
        await repo.pause(phone);
      }
    }
    const cutoff = new Date("2026-02-01T00:00:00.000Z");
    const before = { ...repo.readStats };
    const found: Phone[] = [];
    let cursor: string | undefined;
    do {
      const page = await repo.listErrorsUpdatedBefore(cutoff, { limit: 4, ...(cursor ? { cursor } : {}) });
      found.push(...page.items.map((x) => x.phone));
      cursor = page.cursor;
    } while (cursor);
    expect(found).toEqual(old);
    // Every item DynamoDB read was one of the six: no scan, no filter discarding others.
    expect(repo.readStats.itemsRead - before.itemsRead).toBe(6);
    expect(repo.readStats.capacityUnits - before.capacityUnits).toBeGreaterThan(0);
  });

  it("deleteWithRevocation writes its audit entry in the same transaction; a stale version writes neither", async () => {
    const repo = store.sessions({ now: () => new Date("2026-01-01T00:00:00.000Z") });
    const audit = new AuditLog(store.doc, store.botStateTable, () => new Date("2026-01-01T00:00:00.000Z"));
    const phone = nextPhone();
    const created = await repo.create({ phone, sessionString: "s", account });
    const put = (detail: string) =>
      audit.prepare({ action: "session.deleted", actor: "test", phone, detail }).put;
    await repo.markError(phone, { message: "dead", code: "AUTH_KEY_UNREGISTERED" });

    // The version the caller saw is older than the row's: nothing is deleted, nothing audited.
    await expect(
      repo.deleteWithRevocation(phone, { confirmed: "logged-out" }, created.version, {
        alsoPut: put("stale"),
      }),
    ).rejects.toBeInstanceOf(StaleVersionError);
    expect((await repo.get(phone))?.status).toBe("error");

    const current = await repo.require(phone);
    const deleted = await repo.deleteWithRevocation(phone, { confirmed: "already-dead" }, current.version, {
      alsoPut: (r) => put(`key ${r.state}`),
    });
    expect(deleted).toMatchObject({
      status: "deleted",
      hasSecret: false,
      revocation: { state: "already-dead" },
    });
    const day = (await audit.day("2026-01-01")).filter((e) => e.phone === phone);
    expect(day.map((e) => e.detail)).toEqual(["key already-dead"]);
  });
});

describe("the per-session lease", () => {
  it("lets one holder in, refuses a second, and lets a new holder take over an expired lease", async () => {
    let clock = new Date("2026-05-01T00:00:00.000Z");
    const repo = store.sessions({ now: () => clock });
    const phone = nextPhone();
    const s = await repo.create({ phone, sessionString: "s", account });
    await repo.acquireLease(phone, "job-a", 60_000);
    const refused = await repo.acquireLease(phone, "job-b", 60_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaseHeldError);
    expect((refused as LeaseHeldError).owner).toBe("job-a");
    clock = new Date("2026-05-01T00:01:01.000Z");
    const taken = await repo.acquireLease(phone, "job-b", 60_000);
    expect(taken.leaseOwner).toBe("job-b");
    expect(await repo.releaseLease(phone, "job-a")).toBe(false); // job-a's late release does not free job-b's lease
    expect(await repo.releaseLease(phone, "job-b")).toBe(true);
    expect((await repo.get(phone))?.leaseOwner).toBeUndefined();
    // Leasing neither bumps the version nor moves updatedAt: an admin's pause from a card still applies.
    expect(await repo.pause(phone, s.version)).toMatchObject({ status: "paused" });
  });

  it("refuses a lease on an unknown phone", async () => {
    await expect(store.sessions().acquireLease(nextPhone(), "job", 1000)).rejects.toBeInstanceOf(
      SessionNotFoundError,
    );
  });
});

describe("rows damaged outside the application", () => {
  it("a ciphertext copied onto another phone's row fails to decrypt", async () => {
    const repo = store.sessions();
    const a = nextPhone();
    const b = nextPhone();
    await repo.create({ phone: a, sessionString: "secret-of-a", account });
    await repo.create({ phone: b, sessionString: "secret-of-b", account });
    const rowA = await store.doc.send(
      new QueryCommand({
        TableName: store.sessionsTable,
        KeyConditionExpression: "phone = :p",
        ExpressionAttributeValues: { ":p": a },
      }),
    );
    const rowB = await store.doc.send(
      new QueryCommand({
        TableName: store.sessionsTable,
        KeyConditionExpression: "phone = :p",
        ExpressionAttributeValues: { ":p": b },
      }),
    );
    await store.doc.send(
      new PutCommand({
        TableName: store.sessionsTable,
        Item: { ...rowB.Items![0], sessionCiphertext: rowA.Items![0]!.sessionCiphertext },
      }),
    );
    await expect(repo.readSessionString(b)).rejects.toThrow(/could not be decrypted/);
  });
});

it("uses the byStatus index name the infrastructure defines", () => {
  expect(BY_STATUS_INDEX).toBe("byStatus");
});

describe("fleet counts for menus", () => {
  it("reuse recent counts when asked, forget them on this repository's own writes, and are fresh by default", async () => {
    const s = await createTestStore();
    let clock = Date.parse("2026-06-01T00:00:00.000Z");
    const menu = s.sessions({ now: () => new Date(clock) });
    const elsewhere = s.sessions();
    const a = normalizePhone("+998945550001");
    await menu.create({ phone: a, sessionString: "s", account });
    expect((await menu.countByStatus({ maxAgeMs: 30_000 })).active).toBe(1);

    // Another process (the health check) adds a session: a menu within 30 s may still say 1; a fresh count says 2.
    await elsewhere.create({ phone: normalizePhone("+998945550002"), sessionString: "s", account });
    expect((await menu.countByStatus({ maxAgeMs: 30_000 })).active).toBe(1);
    expect((await menu.countByStatus()).active).toBe(2);

    // This repository's own change is seen at once.
    await menu.pause(a);
    expect(await menu.countByStatus({ maxAgeMs: 30_000 })).toMatchObject({ active: 1, paused: 1 });

    // And counts older than the limit are computed again.
    await elsewhere.create({ phone: normalizePhone("+998945550003"), sessionString: "s", account });
    clock += 30_001;
    expect((await menu.countByStatus({ maxAgeMs: 30_000 })).active).toBe(2);
  });
});
