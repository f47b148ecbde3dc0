import { beforeAll, describe, expect, it } from "vitest";
import { LeaseHeldError } from "../../lib/sessions";
import { SessionNotActiveError, UserbotFailedError } from "../../lib/telegram";
import { getMe } from "../../lib/telegram/userbot";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { harness, logLines, seedSession } from "../support/fake-telegram-harness";

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});

const check = { deadlineMs: 5_000, actor: "health-check:test" };

describe("a session Telegram no longer accepts (SEED.md step 1)", () => {
  it("ends in status error, paused, with lastError AUTH_KEY_UNREGISTERED, logged and audited", async () => {
    const h = harness(store, { logLevel: "DEBUG" });
    const phone = await seedSession(h);
    h.fake.failOn(phone, "users.GetUsers", { error: [401, "AUTH_KEY_UNREGISTERED"] });

    const { result, output } = await captureOutput(() => h.services.userbots.checkSession(phone, check));

    expect(result).toMatchObject({
      outcome: "failed",
      failure: { kind: "dead", code: "AUTH_KEY_UNREGISTERED" },
    });
    const row = await h.sessions.require(phone);
    expect(row.status).toBe("error");
    expect(row.isPaused).toBe(true);
    expect(row.lastError).toBe("AUTH_KEY_UNREGISTERED: session expired or revoked; log in again");
    expect(row.lastErrorCode).toBe("AUTH_KEY_UNREGISTERED");
    expect(row.leaseOwner).toBeUndefined();

    const line = logLines(output).find((l) => l.message === "Session auth failed");
    expect(line).toMatchObject({ phone, code: "AUTH_KEY_UNREGISTERED", error: row.lastError });
    expect(Date.parse(String(line?.timestamp))).not.toBeNaN();

    const audit = await h.audit.day(new Date().toISOString().slice(0, 10));
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "session.failed", phone, actor: check.actor }),
    );
    expect(h.fake.stats.destroyed).toBe(h.fake.stats.created);
  });

  it("makes withUserbot rethrow a typed error saying the session was marked", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.revokeAll(phone);

    const error = await h.services.withUserbot(phone, getMe, check).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UserbotFailedError);
    expect(error).toMatchObject({ markedError: true, failure: { code: "AUTH_KEY_UNREGISTERED" } });
    expect((error as Error).message).toContain("log in again");
    // And the next use is refused before connecting, saying why.
    const created = h.fake.stats.created;
    const refused = await h.services.withUserbot(phone, getMe, check).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SessionNotActiveError);
    expect((refused as Error).message).toMatch(
      /in error \(AUTH_KEY_UNREGISTERED.*delete it and log in again/,
    );
    expect(h.fake.stats.created).toBe(created);
  });

  it.each([
    ["USER_DEACTIVATED_BAN", 401, "account-gone"],
    ["SESSION_REVOKED", 401, "dead"],
  ] as const)("treats %s the same way, keeping Telegram's name", async (name, code, kind) => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.failOn(phone, "users.GetUsers", { error: [code, name] });
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({
      outcome: "failed",
      failure: { kind, code: name },
    });
    expect(await h.sessions.require(phone)).toMatchObject({
      status: "error",
      isPaused: true,
      lastErrorCode: name,
    });
  });

  it("marks a session whose key Telegram refuses at connect with 406 AUTH_KEY_DUPLICATED", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.onConnect(phone, { error: [406, "AUTH_KEY_DUPLICATED"] });
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "failed" });
    expect(await h.sessions.require(phone)).toMatchObject({
      status: "error",
      lastErrorCode: "AUTH_KEY_DUPLICATED",
    });
  });
});

describe("checking a healthy session", () => {
  it("records the check time and the account getMe reports, and logs Session OK", async () => {
    const h = harness(store, { logLevel: "DEBUG" });
    const phone = await seedSession(h, {
      username: "shop_uz",
      firstName: "Shop",
      lastName: "Desk",
      userId: 987654321,
    });

    const { result, output } = await captureOutput(() => h.services.userbots.checkSession(phone, check));

    expect(result).toEqual({
      outcome: "healthy",
      phone,
      account: { userId: "987654321", username: "shop_uz", firstName: "Shop", lastName: "Desk" },
    });
    const row = await h.sessions.require(phone);
    expect(row.status).toBe("active");
    expect(row.lastCheckedAt).toBeDefined();
    expect(row.account).toEqual({
      userId: "987654321",
      username: "shop_uz",
      firstName: "Shop",
      lastName: "Desk",
    });
    expect(row.leaseOwner).toBeUndefined();
    expect(logLines(output)).toContainEqual(expect.objectContaining({ message: "Session OK", phone }));
    // getMe, then what getMe cannot see: the account's freeze, its authorizations (and TTL), its 2FA posture.
    expect(h.fake.calls.map((c) => c.request)).toEqual([
      "users.GetUsers",
      "help.GetAppConfig",
      "account.GetAuthorizations",
      "account.GetPassword",
    ]);
  });

  it("skips without connecting a paused session, an unknown phone and a session in use", async () => {
    const h = harness(store);
    const paused = await seedSession(h);
    await h.sessions.pause(paused);
    const leased = await seedSession(h);
    await h.sessions.acquireLease(leased, "another-job", 60_000);

    expect(await h.services.userbots.checkSession(paused, check)).toMatchObject({
      outcome: "skipped",
      reason: "not-active",
    });
    expect(await h.services.userbots.checkSession(leased, check)).toMatchObject({
      outcome: "skipped",
      reason: "leased",
    });
    const unknown = "+998901999999" as Parameters<typeof h.services.userbots.checkSession>[0];
    expect(await h.services.userbots.checkSession(unknown, check)).toMatchObject({
      outcome: "skipped",
      reason: "not-found",
    });
    expect(h.fake.stats.created).toBe(0);
  });
});

describe("a flood wait", () => {
  it("is remembered, not a death, and the session is left alone until it is over", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.failOn(phone, "users.GetUsers", { floodWaitSeconds: 600 });
    const before = Date.now();

    const result = await h.services.userbots.checkSession(phone, check);

    expect(result.outcome).toBe("flood-wait");
    const row = await h.sessions.require(phone);
    expect(row.status).toBe("active");
    const until = Date.parse(row.floodWaitUntil!);
    expect(until).toBeGreaterThanOrEqual(before + 600_000);
    expect(until).toBeLessThan(before + 660_000);
    const created = h.fake.stats.created;
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({
      outcome: "skipped",
      reason: "flood-wait",
    });
    expect(h.fake.stats.created).toBe(created);
  });
});

describe("transient failures", () => {
  it("are counted, and only the third in a row marks the session", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.failOn(phone, "users.GetUsers", { error: [500, "RPC_CALL_FAIL"] }, 2);
    h.fake.onConnect(phone, undefined);

    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({
      outcome: "transient",
      failures: 1,
    });
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({
      outcome: "transient",
      failures: 2,
    });
    expect(await h.sessions.require(phone)).toMatchObject({ status: "active", consecutiveFailures: 2 });

    h.fake.onConnect(phone, "fail"); // the third: Telegram unreachable
    const third = await h.services.userbots.checkSession(phone, check);

    expect(third).toMatchObject({ outcome: "failed", failure: { code: "CONSECUTIVE_FAILURES" } });
    const row = await h.sessions.require(phone);
    expect(row).toMatchObject({ status: "error", isPaused: true, lastErrorCode: "CONSECUTIVE_FAILURES" });
    expect(row.lastError).toMatch(/^CONSECUTIVE_FAILURES: 3 failures in a row, the last CONNECT_FAILED/);
  });

  it("are forgotten after a success", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.failOn(phone, "users.GetUsers", { error: [-503, "Timeout"] }, 2);
    await h.services.userbots.checkSession(phone, check);
    await h.services.userbots.checkSession(phone, check);
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    expect(await h.sessions.require(phone)).toMatchObject({ status: "active", consecutiveFailures: 0 });
  });

  it("count to a configurable threshold", async () => {
    const h = harness(store, { failureThreshold: 1 });
    const phone = await seedSession(h);
    h.fake.failOn(phone, "users.GetUsers", { throws: new Error("TIMEOUT") });
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "failed" });
    expect(await h.sessions.require(phone)).toMatchObject({ status: "error" });
  });
});

describe("the lease: one use of a session at a time", () => {
  it("refuses a second concurrent use, and lets the next one in after the first", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));

    const first = h.services.withUserbot(
      phone,
      async (userbot) => {
        started();
        await finishing;
        return getMe(userbot);
      },
      { deadlineMs: 10_000, actor: "job-1" },
    );
    await running;
    const second = await h
      .another()
      .withUserbot(phone, getMe, { deadlineMs: 10_000, actor: "job-2" })
      .catch((e: unknown) => e);

    expect(second).toBeInstanceOf(LeaseHeldError);
    expect((second as Error).message).toMatch(/in use by another job/);
    expect(h.fake.stats.created).toBe(1); // the second never connected
    finish();
    expect(await first).toMatchObject({ userId: expect.any(String) });
    expect((await h.sessions.require(phone)).leaseOwner).toBeUndefined();
    await expect(
      h.another().withUserbot(phone, getMe, { deadlineMs: 10_000, actor: "job-3" }),
    ).resolves.toBeDefined();
  });

  it("takes over the expired lease of a job that crashed", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    const tenMinutesAgo = store.sessions({ now: () => new Date(Date.now() - 600_000) });
    await tenMinutesAgo.acquireLease(phone, "crashed-job", 60_000);

    await expect(
      h.services.withUserbot(phone, getMe, { deadlineMs: 5_000, actor: "job" }),
    ).resolves.toBeDefined();
    expect((await h.sessions.require(phone)).leaseOwner).toBeUndefined();
  });

  it("stops a job that outlives its deadline, destroys its client and releases the lease", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.failOn(phone, "users.GetUsers", { hang: true });

    const error = await h.services
      .withUserbot(phone, getMe, { deadlineMs: 300, actor: "job" })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UserbotFailedError);
    expect(error).toMatchObject({ failure: { kind: "transient", code: "TIMEOUT" }, markedError: false });
    expect(h.fake.stats).toMatchObject({ created: 1, destroyed: 1 });
    const row = await h.sessions.require(phone);
    expect(row.leaseOwner).toBeUndefined();
    expect(row).toMatchObject({ status: "active", consecutiveFailures: 1 });
  });

  it("stops a connect that hangs, the same way", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    h.fake.onConnect(phone, "hang");
    const result = await h.services.userbots.checkSession(phone, { deadlineMs: 300, actor: "job" });
    expect(result).toMatchObject({ outcome: "transient", failure: { code: "TIMEOUT" }, failures: 1 });
    expect((await h.sessions.require(phone)).leaseOwner).toBeUndefined();
    expect(h.fake.stats.destroyed).toBe(1);
  });
});
