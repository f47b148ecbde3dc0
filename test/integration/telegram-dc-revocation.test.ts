/**
 * Logging a stored key out at Telegram before it is destroyed (issue 16), through the real userbot layer, GramJS's
 * real client and transport, the loopback DC and DynamoDB Local: a live key is logged out for good (a later getMe
 * with it gets AUTH_KEY_UNREGISTERED), a key Telegram already refuses counts as revoked at once, and a Telegram
 * that cannot be reached gives "not confirmed" (never an exception) with the key still alive and the row untouched.
 */
import { describe, expect, it } from "vitest";
import { SessionNotFoundError } from "../../lib/sessions";
import { resolveDeps } from "../../lib/telegram/deps";
import { logOutKey } from "../../lib/telegram/revocation";
import { createLogger } from "../../lib/log";
import { captureOutput } from "../support/capture-logs";
import { type TestStore } from "../support/dynamo";
import { API_HASH, API_ID, newPhone } from "../support/fake-telegram-harness";
import type { ClientPool } from "../support/mtproto/clients";
import { seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { loopbackClientFactory, type LoopbackDc } from "../support/mtproto/loopback-dc";
import { dcForFile } from "../support/mtproto/dc-file";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;
let clients: ClientPool;
dcForFile((f) => ({ store, dc, h, clients } = f));

const use = { deadlineMs: 8_000, actor: "cli:revocation-test" };

/** getMe with `sessionString` on a fresh client: the user id, or Telegram's error name. */
function getMeWith(sessionString: string): Promise<string> {
  return clients.getMe(sessionString);
}

describe("revoking a live stored key", () => {
  it("logs it out at Telegram: a later getMe with the old key gets AUTH_KEY_UNREGISTERED; the row is left to the caller", async () => {
    const ali = await seedDcSession(h);
    expect(await getMeWith(ali.sessionString)).toBe(String(ali.userId));
    await clients.destroyAll();

    const outcome = await h.services.userbots.revokeSession(ali.phone, use);

    expect(outcome).toEqual({ outcome: "logged-out" });
    expect(dc.keyState(ali.sessionString).loggedInAs).toBeUndefined();
    expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    // Revocation writes nothing to the row (the delete that follows does) and gives the lease back.
    const row = await h.sessions.require(ali.phone);
    expect(row).toMatchObject({ status: "active", hasSecret: true, consecutiveFailures: 0, version: 1 });
    expect(row.leaseOwner).toBeUndefined();
    // One connection, closed: the key was never on two at once.
    expect(dc.keyState(ali.sessionString)).toMatchObject({ duplicated: false });
  });

  it("works whatever the session's status: an error session is logged out too (sessions remove-errors)", async () => {
    const ali = await seedDcSession(h);
    await h.sessions.markError(ali.phone, {
      message: "CONSECUTIVE_FAILURES: 3 failures",
      code: "CONSECUTIVE_FAILURES",
    });

    expect(await h.another().userbots.revokeSession(ali.phone, use)).toEqual({ outcome: "logged-out" });
    expect(dc.keyState(ali.sessionString).loggedInAs).toBeUndefined();
  });
});

describe("revoking a key Telegram already refuses", () => {
  it("counts a revoked key (401 AUTH_KEY_UNREGISTERED) as revoked, at once, with one connection", async () => {
    const ali = await seedDcSession(h);
    dc.forget(ali.phone);
    const accepted = dc.stats().connectionsAccepted;
    const started = Date.now();

    const outcome = await h.services.userbots.revokeSession(ali.phone, use);

    expect(outcome).toEqual({ outcome: "already-dead", code: "AUTH_KEY_UNREGISTERED" });
    expect(dc.stats().connectionsAccepted - accepted).toBe(1);
    expect(Date.now() - started).toBeLessThan(use.deadlineMs);
    expect((await h.sessions.require(ali.phone)).status).toBe("active");
  });

  it("counts a key logged out before (a second revocation) as revoked", async () => {
    const ali = await seedDcSession(h);
    expect(await h.services.userbots.revokeSession(ali.phone, use)).toEqual({ outcome: "logged-out" });

    expect(await h.another().userbots.revokeSession(ali.phone, use)).toEqual({
      outcome: "already-dead",
      code: "AUTH_KEY_UNREGISTERED",
    });
  });

  it("counts a duplicated key (406 AUTH_KEY_DUPLICATED) and a deleted account (USER_DEACTIVATED) as revoked", async () => {
    const ali = await seedDcSession(h);
    const vali = await seedDcSession(h);
    dc.script(ali.phone, { method: "auth.LogOut", error: { code: 406, message: "AUTH_KEY_DUPLICATED" } });
    dc.script(vali.phone, { method: "auth.LogOut", error: { code: 401, message: "USER_DEACTIVATED" } });

    expect(await h.services.userbots.revokeSession(ali.phone, use)).toEqual({
      outcome: "already-dead",
      code: "AUTH_KEY_DUPLICATED",
    });
    expect(await h.services.userbots.revokeSession(vali.phone, use)).toEqual({
      outcome: "already-dead",
      code: "USER_DEACTIVATED",
    });
  });
});

describe("revoking while Telegram cannot be reached", () => {
  it("is not confirmed when the DC does not answer within the deadline; the key stays alive and the row untouched", async () => {
    const ali = await seedDcSession(h);
    dc.script(ali.phone, { method: "auth.LogOut", silent: true });
    const started = Date.now();

    const outcome = await h.services.userbots.revokeSession(ali.phone, { ...use, deadlineMs: 1_500 });

    expect(outcome).toMatchObject({
      outcome: "not-confirmed",
      failure: { kind: "transient", code: "TIMEOUT" },
    });
    expect(Date.now() - started).toBeLessThan(1_500 + 5_000 + 3_000);
    expect(dc.keyState(ali.sessionString).loggedInAs).toBe(BigInt(ali.userId));
    const row = await h.sessions.require(ali.phone);
    expect(row).toMatchObject({ status: "active", consecutiveFailures: 0, version: 1 });
    expect(row.leaseOwner).toBeUndefined();
  });

  it("is not confirmed when nothing listens at Telegram's address (connect fails)", async () => {
    const ali = await seedDcSession(h);
    // A loopback address where no DC listens: the TCP connect is refused.
    const nowhere = h.another({ createClient: loopbackClientFactory("127.99.0.1") });

    const outcome = await nowhere.userbots.revokeSession(ali.phone, use);

    expect(outcome).toMatchObject({ outcome: "not-confirmed", failure: { kind: "transient" } });
    expect(dc.keyState(ali.sessionString).loggedInAs).toBe(BigInt(ali.userId));
  });

  it("is not confirmed on a flood wait, which says how long", async () => {
    const ali = await seedDcSession(h);
    dc.script(ali.phone, { method: "auth.LogOut", error: { code: 420, message: "FLOOD_WAIT_30" } });

    expect(await h.services.userbots.revokeSession(ali.phone, use)).toMatchObject({
      outcome: "not-confirmed",
      failure: { kind: "flood", seconds: 30 },
    });
    expect((await h.sessions.require(ali.phone)).floodWaitUntil).toBeUndefined();
  });

  it("is not confirmed, without connecting, while another job holds the session's lease", async () => {
    const ali = await seedDcSession(h);
    await h.sessions.acquireLease(ali.phone, "health-check:other#1", 60_000);
    const accepted = dc.stats().connectionsAccepted;

    const outcome = await h.services.userbots.revokeSession(ali.phone, use);

    expect(outcome).toMatchObject({ outcome: "not-confirmed", failure: { code: "LEASE_HELD" } });
    expect(dc.stats().connectionsAccepted).toBe(accepted);
    expect((await h.sessions.require(ali.phone)).leaseOwner).toBe("health-check:other#1");
    await h.sessions.releaseLease(ali.phone, "health-check:other#1");
  });
});

describe("a delete while the DC is unreachable, finished by a later retry", () => {
  it("leaves a pending tombstone with its ciphertext; the retry with the DC back logs the key out and settles it", async () => {
    const ali = await seedDcSession(h);
    dc.script(ali.phone, { method: "auth.LogOut", silent: true, times: 1 });
    const first = await h.services.userbots.revokeSession(ali.phone, { ...use, deadlineMs: 1_500 });
    expect(first.outcome).toBe("not-confirmed");
    const failure = first.outcome === "not-confirmed" ? first.failure.message : "";
    const pending = await h.sessions.deleteWithRevocation(ali.phone, { notConfirmed: failure });
    expect(pending).toMatchObject({ status: "deleted", hasSecret: true, revocation: { state: "pending" } });
    expect(dc.keyState(ali.sessionString).loggedInAs).toBe(BigInt(ali.userId));

    // The next cleanup: the pending tombstone is leased and its key opened like any stored key.
    const retry = await h.another().userbots.revokeSession(ali.phone, use);
    expect(retry).toEqual({ outcome: "logged-out" });
    const settled = await h.sessions.retryRevocation(pending, { confirmed: "logged-out" });

    expect(settled).toMatchObject({ hasSecret: false, revocation: { state: "logged-out", attempts: 2 } });
    expect(await getMeWith(ali.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
  });
});

describe("revoking what is not there", () => {
  it("throws SessionNotFoundError for a phone without a stored key, without connecting", async () => {
    const accepted = dc.stats().connectionsAccepted;
    await expect(h.services.userbots.revokeSession(newPhone(), use)).rejects.toBeInstanceOf(
      SessionNotFoundError,
    );
    expect(dc.stats().connectionsAccepted).toBe(accepted);
  });
});

describe("logging out a key no row holds (the old key of a replaced session)", () => {
  it("logs it out without a lease, and its session string reaches no log line", async () => {
    const ali = await seedDcSession(h);
    const { sessionString: oldKey } = dc.issueSession(ali.phone);
    const deps = resolveDeps({
      sessions: h.sessions,
      doc: store.doc,
      botStateTable: store.botStateTable,
      cipher: store.cipher,
      credentials: async () => ({ apiId: API_ID, apiHash: API_HASH }),
      logger: createLogger({ service: "revocation-test", level: "DEBUG" }),
      createClient: dc.createClient,
    });

    const { result, output } = await captureOutput(() => logOutKey(deps, oldKey, { deadlineMs: 8_000 }));

    expect(result).toEqual({ outcome: "logged-out" });
    expect(dc.keyState(oldKey).loggedInAs).toBeUndefined();
    // The stored key of the same account is another authorization: still logged in.
    expect(dc.keyState(ali.sessionString).loggedInAs).toBe(BigInt(ali.userId));
    expect(output).not.toContain(oldKey);
  });
});
