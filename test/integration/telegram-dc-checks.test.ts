/**
 * The health check through the real userbot layer and GramJS's real client and transport, against the loopback DC
 * and DynamoDB Local: the seed's AUTH_KEY_UNREGISTERED scenario end to end, a healthy session, a key the DC erased,
 * and the lease keeping one auth key on one connection (AUTH_KEY_DUPLICATED would kill the session).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../lib/telegram/contract";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { logLines } from "../support/fake-telegram-harness";
import { ClientPool } from "../support/mtproto/clients";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;
let clients: ClientPool;

beforeAll(async () => {
  [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
  h = dcHarness(store, dc);
  clients = new ClientPool(dc);
});
afterEach(async () => {
  await clients.destroyAll();
  dc.clearScripts();
});
afterAll(async () => {
  await dc?.stop();
});

const check = { deadlineMs: 8_000, actor: "health-check:dc-test" };

describe("a session whose key Telegram unregistered (SEED.md step 1, over the real network path)", () => {
  it("answers 401 AUTH_KEY_UNREGISTERED to users.GetUsers and the check leaves the row as step 1 says", async () => {
    const logged = dcHarness(store, dc, { logLevel: "DEBUG" });
    const ali = await seedDcSession(logged);
    expect(dc.forget(ali.phone, "unregister")).toBe(1);

    const { result, output } = await captureOutput(() =>
      logged.services.userbots.checkSession(ali.phone, check),
    );

    expect(result).toMatchObject({
      outcome: "failed",
      failure: { kind: "dead", code: "AUTH_KEY_UNREGISTERED" },
    });
    const row = await logged.sessions.require(ali.phone);
    expect(row.status).toBe("error");
    expect(row.isPaused).toBe(true);
    expect(row.lastError).toMatch(/^AUTH_KEY_UNREGISTERED/);
    expect(row.lastErrorCode).toBe("AUTH_KEY_UNREGISTERED");
    expect(row.leaseOwner).toBeUndefined();
    expect(row.leaseUntil).toBeUndefined();
    // SEED.md best practice 3: { phone, error, code, timestamp } with "Session auth failed".
    const line = logLines(output).find((l) => l.message === "Session auth failed");
    expect(line).toMatchObject({ phone: ali.phone, error: row.lastError, code: "AUTH_KEY_UNREGISTERED" });
    expect(Date.parse(String(line?.timestamp))).not.toBeNaN();
    // The key stayed on one connection, and that connection is closed.
    expect(dc.keyState(ali.sessionString)).toMatchObject({ duplicated: false, maxOpenConnections: 1 });
    await waitUntil(() => dc.keyState(ali.sessionString).openConnections === 0);
  });

  it("is not connected to again: the next check skips it as not active", async () => {
    const ali = await seedDcSession(h);
    dc.forget(ali.phone);
    await h.services.userbots.checkSession(ali.phone, check);
    const accepted = dc.stats().connectionsAccepted;

    const again = await h.another().userbots.checkSession(ali.phone, check);

    expect(again).toEqual({ outcome: "skipped", phone: ali.phone, reason: "not-active" });
    expect(dc.stats().connectionsAccepted).toBe(accepted);
  });
});

describe("a healthy session", () => {
  it("is healthy, with lastCheckedAt and the account (user id, username, first name) as the DC answered", async () => {
    const ali = await seedDcSession(h);
    const before = new Date().toISOString();

    const result = await h.services.userbots.checkSession(ali.phone, check);

    const account = { userId: String(ali.userId), username: ali.username, firstName: ali.firstName };
    expect(result).toEqual({ outcome: "healthy", phone: ali.phone, account });
    const row = await h.sessions.require(ali.phone);
    expect(row).toMatchObject({ status: "active", isPaused: false, consecutiveFailures: 0, account });
    expect(row.lastCheckedAt! >= before).toBe(true);
    // The DC it reached, for the health check's pacing by data centre.
    expect(row.dcId).toBe(dc.dcId);
    expect(row.leaseOwner).toBeUndefined();
    // The session string is unchanged: a check must never rewrite the key.
    expect(await h.sessions.readSessionString(ali.phone)).toBe(ali.sessionString);
  });
});

describe("a session whose key the DC erased (transport error -404)", () => {
  // GramJS 2.26.22 stops reading on -404 without rejecting connect()'s pending request, so nothing but our deadline
  // ends the check, and nothing tells it from a Telegram that is slow: TIMEOUT, transient. The run of three marks it.
  it("times out within the deadline as transient, and the third in a row marks it error", async () => {
    const ali = await seedDcSession(h);
    dc.forget(ali.phone, "erase");
    const short = { ...check, deadlineMs: 1_500 };

    const results: CheckResult[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      results.push(await h.another().userbots.checkSession(ali.phone, short));
      // Without our deadline this check never returns (GramJS never settles connect()). The bound is loose on
      // purpose: the deadline is exact, the DynamoDB writes after it are slower on a loaded machine.
      expect(Date.now() - started).toBeLessThan(short.deadlineMs + 5_000);
    }

    expect(results.slice(0, 2)).toMatchObject([
      { outcome: "transient", failure: { kind: "transient", code: "TIMEOUT" }, failures: 1 },
      { outcome: "transient", failure: { kind: "transient", code: "TIMEOUT" }, failures: 2 },
    ]);
    expect(results[2]).toMatchObject({ outcome: "failed", failure: { code: "CONSECUTIVE_FAILURES" } });
    const row = await h.sessions.require(ali.phone);
    expect(row).toMatchObject({ status: "error", isPaused: true, lastErrorCode: "CONSECUTIVE_FAILURES" });
    expect(row.lastError).toMatch(/3 failures in a row, the last TIMEOUT.*log this session in again/);
    expect(row.leaseOwner).toBeUndefined();
  });
});

describe("one auth key, one connection (AUTH_KEY_DUPLICATED)", () => {
  it("two concurrent checks of one session are serialized by the lease; the DC never sees the key twice", async () => {
    const ali = await seedDcSession(h);
    // Slow answers, so the two checks surely overlap in time.
    dc.script(ali.phone, { method: "users.GetUsers", delayMs: 300 });

    const results = await Promise.all([
      h.services.userbots.checkSession(ali.phone, check),
      h.another().userbots.checkSession(ali.phone, check),
    ]);

    for (const r of results) expect(r).toSatisfy(healthyOrLeased);
    expect(results.filter((r) => r.outcome === "healthy").length).toBeGreaterThanOrEqual(1);
    expect(dc.keyState(ali.sessionString)).toMatchObject({ duplicated: false, maxOpenConnections: 1 });
    const row = await h.sessions.require(ali.phone);
    expect(row.status).toBe("active");
    expect(row.leaseOwner).toBeUndefined();
  });

  it("a session also used elsewhere at the same time is killed by the DC and ends error AUTH_KEY_DUPLICATED", async () => {
    const ali = await seedDcSession(h);
    // Another device holds the same key open (the session string copied to a laptop, say).
    const elsewhere = await clients.connected(ali.sessionString);
    await elsewhere.getMe();

    const result = await h.services.userbots.checkSession(ali.phone, check);

    expect(result).toMatchObject({
      outcome: "failed",
      failure: { kind: "dead", code: "AUTH_KEY_DUPLICATED" },
    });
    const row = await h.sessions.require(ali.phone);
    expect(row).toMatchObject({ status: "error", isPaused: true, lastErrorCode: "AUTH_KEY_DUPLICATED" });
    expect(row.lastError).toMatch(/^AUTH_KEY_DUPLICATED: .*use it from one place only/);
    expect(row.leaseOwner).toBeUndefined();
    expect(dc.keyState(ali.sessionString).duplicated).toBe(true);
  });

  it("50 concurrent checks of 10 sessions: never more than one open connection per auth key", async () => {
    const accounts = await Promise.all(Array.from({ length: 10 }, () => seedDcSession(h)));
    for (const a of accounts) dc.script(a.phone, { method: "users.GetUsers", delayMs: 150 });

    // Five rounds of ten, all in flight at once, each from its own "invocation".
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        h.another().userbots.checkSession(accounts[i % accounts.length]!.phone, check),
      ),
    );

    for (const r of results) expect(r).toSatisfy(healthyOrLeased);
    for (const a of accounts) {
      expect(results.some((r) => r.phone === a.phone && r.outcome === "healthy")).toBe(true);
      expect(dc.keyState(a.sessionString)).toMatchObject({ duplicated: false, maxOpenConnections: 1 });
      const row = await h.sessions.require(a.phone);
      expect(row.status).toBe("active");
      expect(row.leaseOwner).toBeUndefined();
    }
  });
});

function healthyOrLeased(r: CheckResult): boolean {
  return r.outcome === "healthy" || (r.outcome === "skipped" && r.reason === "leased");
}

async function waitUntil(condition: () => boolean, ms = 3_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
