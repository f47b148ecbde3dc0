/**
 * The account's other devices (issue 16) through the real userbot layer, GramJS's real client and transport, the
 * loopback DC and DynamoDB Local: every authorization listed with ours flagged, a login added at the DC between two
 * fingerprints found new exactly once, ending one or all others, and Telegram's 24 h rule answered with the time it
 * becomes possible instead of a failure.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { newAuthorizations } from "../../lib/telegram/authorization-set";
import { InvalidAuthorizationHashError } from "../../lib/telegram";
import { createTestStore, type TestStore } from "../support/dynamo";
import { ClientPool } from "../support/mtproto/clients";
import { dcHarness, seedDcSession, type DcHarness, type SeededAccount } from "../support/mtproto/dc-harness";
import { ANDROID_PHONE_LOGIN } from "../support/mtproto/device-fixtures";
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

const use = { deadlineMs: 8_000, actor: "cli:devices-test" };
const HOUR = 3_600_000;

/** Our stored key, old enough (25 h) for Telegram to let it end other authorizations. */
function ageOurKey(account: SeededAccount, hours = 25): void {
  dc.setKeyCreatedAt({ sessionString: account.sessionString }, new Date(Date.now() - hours * HOUR));
}

/** getMe with `sessionString` on a fresh client: the user id, or Telegram's error name. */
function getMeWith(sessionString: string): Promise<string> {
  return clients.getMe(sessionString);
}

describe("listing the account's devices", () => {
  it("lists every authorization with device, app, platform, place and dates, ours first and flagged", async () => {
    const ali = await seedDcSession(h);
    ageOurKey(ali, 48);
    const created = new Date(Date.now() - 3 * 24 * HOUR);
    const phoneHash = dc.addAuthorization(ali.phone, { ...ANDROID_PHONE_LOGIN, createdAt: created });
    const thirdParty = dc.addAuthorization(ali.phone, {
      deviceModel: "PC 64bit",
      appName: "Unofficial Desktop",
      officialApp: false,
    });

    const devices = await h.services.userbots.listDevices(ali.phone, use);

    expect(devices.authorizations).toHaveLength(3);
    const [ours, ...others] = devices.authorizations;
    expect(ours).toMatchObject({ current: true, deviceModel: "Session Keeper", appName: "session-keeper" });
    expect(Date.parse(ours!.createdAt)).toBeLessThan(Date.now() - 47 * HOUR);
    expect(others.every((a) => !a.current)).toBe(true);
    expect(others.find((a) => a.hash === String(phoneHash))).toEqual({
      hash: String(phoneHash),
      current: false,
      officialApp: true,
      passwordPending: false,
      deviceModel: "Samsung Galaxy S23",
      platform: "Android",
      systemVersion: "SDK 34",
      appName: "Telegram Android",
      appVersion: "11.2.3",
      apiId: 6,
      country: "Kazakhstan",
      region: "Almaty",
      createdAt: new Date(Math.floor(created.getTime() / 1000) * 1000).toISOString(),
      lastActiveAt: new Date(Math.floor(created.getTime() / 1000) * 1000).toISOString(),
    });
    expect(others.find((a) => a.hash === String(thirdParty))).toMatchObject({ officialApp: false });
    // The fingerprint is the other authorizations' hashes; ours is never a stranger.
    expect(devices.fingerprint).toEqual([String(phoneHash), String(thirdParty)].sort());
    expect(devices.ttlDays).toBe(180);
    expect(devices.endOthersPossibleFrom).toBeUndefined();
  });

  it("says from when a key younger than 24 h may end the others", async () => {
    const ali = await seedDcSession(h);
    ageOurKey(ali, 2);

    const devices = await h.services.userbots.listDevices(ali.phone, use);

    const expected = Date.parse(devices.authorizations[0]!.createdAt) + 24 * HOUR;
    expect(Date.parse(devices.endOthersPossibleFrom!)).toBe(expected);
    expect(expected - Date.now()).toBeGreaterThan(21 * HOUR);
  });
});

describe("a new login between two daily checks", () => {
  it("is new exactly once: in the diff after it appears, not in the one after that", async () => {
    const ali = await seedDcSession(h);
    dc.addAuthorization(ali.phone, { deviceModel: "iPad" });
    const first = await h.services.userbots.listDevices(ali.phone, use);
    // The very first check has no fingerprint to compare with: a baseline, nothing reported.
    expect(newAuthorizations(undefined, first)).toEqual([]);

    const intruder = dc.addAuthorization(ali.phone, {
      deviceModel: "Xiaomi 13",
      appName: "Telegram Android",
      country: "Netherlands",
    });
    const second = await h.another().userbots.listDevices(ali.phone, use);
    const third = await h.another().userbots.listDevices(ali.phone, use);

    expect(newAuthorizations(first.fingerprint, second)).toMatchObject([
      {
        hash: String(intruder),
        deviceModel: "Xiaomi 13",
        appName: "Telegram Android",
        country: "Netherlands",
      },
    ]);
    expect(newAuthorizations(second.fingerprint, third)).toEqual([]);
  });

  it("does not count a device that left as new", async () => {
    const ali = await seedDcSession(h);
    const ipad = dc.addAuthorization(ali.phone, { deviceModel: "iPad" });
    const first = await h.services.userbots.listDevices(ali.phone, use);
    dc.removeAuthorization(ali.phone, ipad);

    const second = await h.services.userbots.listDevices(ali.phone, use);

    expect(newAuthorizations(first.fingerprint, second)).toEqual([]);
    expect(second.fingerprint).toEqual([]);
  });
});

describe("ending authorizations", () => {
  it("ends one device by its hash; the same hash again is not found", async () => {
    const ali = await seedDcSession(h);
    ageOurKey(ali);
    const intruder = dc.addAuthorization(ali.phone, { deviceModel: "Xiaomi 13" });
    const kept = dc.addAuthorization(ali.phone, { deviceModel: "iPad" });

    expect(await h.services.userbots.endDevice(ali.phone, String(intruder), use)).toEqual({
      outcome: "ended",
    });

    const left = dc.authorizationsOf(ali.phone).map((a) => a.hash);
    expect(left).not.toContain(intruder);
    expect(left).toContain(kept);
    expect(await h.another().userbots.endDevice(ali.phone, String(intruder), use)).toEqual({
      outcome: "not-found",
    });
  });

  it("ends another key's authorization: that key is refused from then on (AUTH_KEY_UNREGISTERED)", async () => {
    const ali = await seedDcSession(h);
    ageOurKey(ali);
    const { sessionString: otherKey } = dc.issueSession(ali.phone);
    const devices = await h.services.userbots.listDevices(ali.phone, use);
    expect(devices.authorizations).toHaveLength(2);
    const other = devices.authorizations.find((a) => !a.current)!;

    expect(await h.services.userbots.endDevice(ali.phone, other.hash, use)).toEqual({ outcome: "ended" });

    expect(await getMeWith(otherKey)).toBe("AUTH_KEY_UNREGISTERED");
    expect(await getMeWith(ali.sessionString)).toBe(String(ali.userId));
  });

  it("ends every authorization but ours; our session stays healthy", async () => {
    const ali = await seedDcSession(h);
    ageOurKey(ali);
    const { sessionString: otherKey } = dc.issueSession(ali.phone);
    dc.addAuthorization(ali.phone, { deviceModel: "Xiaomi 13" });
    dc.addAuthorization(ali.phone, { deviceModel: "iPad" });

    expect(await h.services.userbots.endOtherDevices(ali.phone, use)).toEqual({ outcome: "ended" });

    // What the DC holds: one authorization, an issued key's (ours: the other key is logged out).
    expect(dc.authorizationsOf(ali.phone)).toMatchObject([{ keyId: expect.any(String) }]);
    expect(dc.keyState(otherKey).loggedInAs).toBeUndefined();
    const devices = await h.services.userbots.listDevices(ali.phone, use);
    expect(devices.authorizations).toMatchObject([{ current: true }]);
    expect(devices.fingerprint).toEqual([]);
    expect(await h.services.userbots.checkSession(ali.phone, use)).toMatchObject({ outcome: "healthy" });
  });

  it("answers a key younger than 24 h with the time it becomes possible, and changes nothing", async () => {
    const ali = await seedDcSession(h);
    ageOurKey(ali, 3);
    const intruder = dc.addAuthorization(ali.phone, { deviceModel: "Xiaomi 13" });
    const keyCreated = Math.floor((Date.now() - 3 * HOUR) / 1000) * 1000;

    const one = await h.services.userbots.endDevice(ali.phone, String(intruder), use);
    const all = await h.services.userbots.endOtherDevices(ali.phone, use);

    for (const outcome of [one, all]) {
      expect(outcome.outcome).toBe("too-fresh");
      const possibleFrom = Date.parse((outcome as { possibleFrom: string }).possibleFrom);
      // 24 h after our key's authorization was created, as the DC dated it (to the second, give or take one).
      expect(Math.abs(possibleFrom - (keyCreated + 24 * HOUR))).toBeLessThanOrEqual(2_000);
    }
    expect(dc.authorizationsOf(ali.phone).map((a) => a.hash)).toContain(intruder);
    // A refusal by the 24 h rule is an answer, not a failure of the session.
    expect(await h.sessions.require(ali.phone)).toMatchObject({ status: "active", consecutiveFailures: 0 });
  });

  it("refuses a hash that is not a 64-bit number before connecting", async () => {
    const ali = await seedDcSession(h);
    const accepted = dc.stats().connectionsAccepted;

    for (const bad of ["", "abc", "12; drop", "99999999999999999999", "0"]) {
      await expect(h.services.userbots.endDevice(ali.phone, bad, use)).rejects.toBeInstanceOf(
        InvalidAuthorizationHashError,
      );
    }
    expect(dc.stats().connectionsAccepted).toBe(accepted);
  });
});
